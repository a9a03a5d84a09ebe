package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/auth"
)

// tokenCommands are the subcommands of "oauthgate token".
var tokenCommands = map[string]command{}

func init() {
	register(command{
		name:    "token",
		summary: "inspect or mint a token, or get one as a machine client",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return runGroup(ctx, "token", tokenCommands, args, stdout, stderr)
		},
	})
	tokenCommands["inspect"] = command{
		name:    "token inspect",
		summary: "decrypt a user or service token and show its claims",
		run:     runTokenInspect,
	}
}

// maxTokenInput bounds the token read from standard input: the longest
// token the app accepts (64 KiB), a "Bearer " prefix and blank lines.
const maxTokenInput = 64<<10 + 64

// inspectToken opens tok as a user or a service token. When the token
// authenticated (even expired, or refused for its contents), its info
// comes with the error.
func inspectToken(cfg *auth.Config, tok string) (auth.TokenInfo, error) {
	info, err := auth.InspectToken(cfg, tok)
	switch {
	case err == nil || info.Subject != "":
		return info, err
	case errors.Is(err, auth.ErrTokenMalformed):
		return info, fmt.Errorf("not a token: %w", oneLineError{err})
	case errors.Is(err, auth.ErrTokenInvalid):
		return info, fmt.Errorf("the token does not open with this configuration's keys "+
			"(made with another secret_key, altered, or not a bearer token): %w", err)
	}
	return info, err
}

// oneLineError prints err on one line: the token decoder joins its
// reasons with newlines.
type oneLineError struct{ err error }

func (e oneLineError) Error() string { return strings.ReplaceAll(e.err.Error(), "\n", "; ") }
func (e oneLineError) Unwrap() error { return e.err }

func runTokenInspect(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("token inspect", "token inspect --config FILE [TOKEN | -]", `
Decrypts a user or service bearer token with the keys of the configuration
(secret_key and previous_secret_keys) and prints its kind, subject, id,
issue and expiry times, capability snapshot, and whether it carries an
identity-provider refresh token (never the refresh token itself). Without
TOKEN, or with "-", the token is read from standard input; a leading
"Bearer " is dropped. Exit status 1 when the token does not open, is expired
or would be refused by the app (the claims are still shown). Revocation is
not checked: it is known only to the running app.`)
	path := fs.String("config", "", "configuration `FILE` (required)")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 1:
		return usageError(fs, "unexpected argument %q", rest[1])
	case *path == "":
		return usageError(fs, "missing --config FILE")
	}
	arg := "-"
	if len(rest) == 1 {
		arg = rest[0]
	}
	tok, err := readTokenArg(arg)
	if err != nil {
		return err
	}

	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	info, err := inspectToken(cfg, tok)
	if info.Subject == "" {
		return err
	}
	now := time.Now()
	printTokenInfo(stdout, info, now)
	if errors.Is(err, auth.ErrTokenExpired) {
		return fmt.Errorf("token expired at %s (%s ago)", info.ExpiresAt.UTC().Format(time.RFC3339), now.Sub(info.ExpiresAt).Round(time.Second))
	}
	if err != nil {
		return err
	}
	if info.IssuedAt.After(now.Add(time.Minute)) {
		warn(stderr, "token inspect", "issued in the future (%s): check this machine's clock", info.IssuedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// printTokenInfo shows what a token says; it holds no secret.
func printTokenInfo(w io.Writer, c auth.TokenInfo, now time.Time) {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format(time.RFC3339)
	}
	status := "valid (revocation is not checked here)"
	expires := fmt.Sprintf("%s (in %s)", stamp(c.ExpiresAt), c.ExpiresAt.Sub(now).Round(time.Second))
	if !now.Before(c.ExpiresAt) {
		status = "EXPIRED"
		expires = fmt.Sprintf("%s (%s ago)", stamp(c.ExpiresAt), now.Sub(c.ExpiresAt).Round(time.Second))
	}
	caps := "(none)"
	if len(c.Capabilities) > 0 {
		caps = strings.Join(c.Capabilities, ", ")
	}
	refresh := "no"
	if c.Recheck {
		refresh = "yes (re-checked with the identity provider; not shown)"
	}
	// The purpose names the token's key: one per kind.
	fmt.Fprintf(w, "purpose:       %s-token\n", c.Kind)
	fmt.Fprintf(w, "kind:          %s\n", c.Kind)
	fmt.Fprintf(w, "subject:       %s\n", c.Subject)
	fmt.Fprintf(w, "id:            %s\n", c.ID)
	fmt.Fprintf(w, "issued:        %s\n", stamp(c.IssuedAt))
	fmt.Fprintf(w, "expires:       %s\n", expires)
	if c.Kind == auth.KindService || len(c.Capabilities) > 0 {
		fmt.Fprintf(w, "capabilities:  %s\n", caps)
	}
	if len(c.Claims) > 0 {
		names := slices.Sorted(maps.Keys(c.Claims))
		for i, name := range names {
			names[i] = name + "=" + strings.Join(c.Claims[name], "|")
		}
		fmt.Fprintf(w, "claims:        %s\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(w, "refresh token: %s\n", refresh)
	if !c.CheckedAt.IsZero() {
		fmt.Fprintf(w, "checked:       %s\n", stamp(c.CheckedAt))
	}
	fmt.Fprintf(w, "status:        %s\n", status)
}

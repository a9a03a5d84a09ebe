package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// defaultMintTTL is the life of an offline token unless --ttl says
// otherwise: short, since it is for emergencies.
const defaultMintTTL = 24 * time.Hour

func init() {
	tokenCommands["mint"] = command{
		name:    "token mint",
		summary: "mint a user or service token offline (emergencies)",
		run:     runTokenMint,
	}
}

// ttlFlag is a lifetime: a Go duration ("90m", "24h"), days ("7d",
// "1d12h") or a number of seconds, as in the configuration.
type ttlFlag time.Duration

func (f *ttlFlag) String() string { return formatDuration(time.Duration(*f)) }

func (f *ttlFlag) Set(s string) error {
	d, err := parseTTL(s)
	if err != nil {
		return err
	}
	*f = ttlFlag(d)
	return nil
}

func parseTTL(s string) (time.Duration, error) {
	bad := fmt.Errorf("bad duration %q: write e.g. 90m, 24h, 7d or a number of seconds", s)
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		if secs <= 0 || secs > int64(maxTTL/time.Second) {
			return 0, bad
		}
		return time.Duration(secs) * time.Second, nil
	}
	var d time.Duration
	if days, rest, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > int64(maxTTL/(24*time.Hour)) {
			return 0, bad
		}
		d, s = time.Duration(n)*24*time.Hour, rest
	}
	if s != "" {
		more, err := time.ParseDuration(s)
		if err != nil || more < 0 || more > maxTTL-d {
			return 0, bad
		}
		d += more
	}
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}

// maxTTL keeps expiry times far from overflow.
const maxTTL = 10 * 365 * 24 * time.Hour

func runTokenMint(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("token mint",
		"token mint --config FILE --user EMAIL [--ttl 24h]\n       oauthgate token mint --config FILE --service NAME@service [--caps a,b] [--ttl 24h]", `
Mints a bearer token with the configuration's secret_key, without the app:
for emergencies, when the identity provider or the app's /token route cannot
be used. The token is printed on standard output; nothing about it is logged
by the app until it is used, so keep its id (printed on standard error).

A user token carries no capabilities: the app looks them up at each request.
A service token carries a snapshot, and a request holds a capability only if
it is in the snapshot AND the account holds it now. The snapshot is the
closure of --caps, or by default the account's effective capabilities read
from the user file (stored, overrides and defaults).`)
	path := fs.String("config", "", "configuration `FILE` (required)")
	user := fs.String("user", "", "mint a user token for this `EMAIL`")
	service := fs.String("service", "", "mint a service token for this `ACCOUNT` (name@service)")
	capsList := fs.String("caps", "", "service token: comma-separated `capabilities` of the snapshot (closed over the graph)")
	ttl := ttlFlag(defaultMintTTL)
	fs.Var(&ttl, "ttl", "token lifetime (`duration`): 90m, 24h, 7d...")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usageError(fs, "unexpected argument %q", rest[0])
	case *path == "":
		return usageError(fs, "missing --config FILE")
	case (*user == "") == (*service == ""):
		return usageError(fs, "give exactly one of --user EMAIL and --service NAME@service")
	case *user != "" && *capsList != "":
		return usageError(fs, "--caps is for service tokens; a user's capabilities are looked up at each request")
	}

	var subject string
	if *user != "" {
		if subject, err = emailaddr.ParseUser(*user); errors.Is(err, emailaddr.ErrServiceAccount) {
			return usageError(fs, "--user: %q is a service account; use --service", *user)
		} else if err != nil {
			return usageError(fs, "--user: %v", err)
		}
	} else if subject, err = emailaddr.ParseService(*service); err != nil {
		return usageError(fs, "--service: %v", err)
	}

	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	issued := time.Now().Truncate(time.Second)
	info := auth.TokenInfo{Kind: auth.KindUser, Subject: subject, IssuedAt: issued, ExpiresAt: issued.Add(time.Duration(ttl))}
	if *service != "" {
		info.Kind = auth.KindService
		info.Capabilities, err = serviceSnapshot(cfg, subject, splitList(*capsList), stderr)
		if err != nil {
			return err
		}
	} else if !emailaddr.DomainAllowed(subject, cfg.AllowedEmailDomains) {
		warn(stderr, "token mint", "%s is outside allowed_email_domains; that user could not log in", subject)
	}
	if time.Duration(ttl) > cfg.TokenTTL {
		warn(stderr, "token mint", "--ttl %s is longer than token_ttl (%s)", formatDuration(time.Duration(ttl)), formatDuration(cfg.TokenTTL))
	}
	tok, err := auth.MintToken(cfg, info)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(stdout, tok.Token); err != nil {
		return err
	}
	warn(stderr, "token mint", "%s token for %s minted offline, id %s, expires %s; the app has no record of it",
		tok.Kind, tok.Subject, tok.ID, tok.ExpiresAt.UTC().Format(time.RFC3339))
	if len(tok.Capabilities) > 0 {
		fmt.Fprintf(stderr, "capabilities: %s\n", strings.Join(tok.Capabilities, ", "))
	}
	return nil
}

// serviceSnapshot returns the capabilities a service token for account
// carries: the closure of requested, or else the account's effective
// capabilities in the user file.
func serviceSnapshot(cfg *auth.Config, account string, requested []string, stderr io.Writer) ([]string, error) {
	policy, err := cfg.Capabilities.Policy()
	if err != nil {
		return nil, err
	}
	g := policy.Graph()
	stored, storeErr := storedCapabilities(cfg, policy, account)
	if len(requested) == 0 {
		if storeErr != nil {
			return nil, fmt.Errorf("%w; or name the capabilities with --caps", storeErr)
		}
		held, err := policy.Effective(account, stored)
		if err != nil {
			return nil, err
		}
		names := g.SetNames(held)
		if len(names) == 0 {
			warn(stderr, "token mint", "%s holds no capability: the token grants nothing", account)
		}
		return names, nil
	}
	set, err := g.Set(requested...)
	if err != nil {
		return nil, fmt.Errorf("--caps: %w", err)
	}
	closed := g.Closure(set)
	if storeErr == nil {
		if held, err := policy.Effective(account, stored); err == nil {
			var missing []string
			closed.Each(func(c capabilities.Cap) {
				if !held.Has(c) {
					missing = append(missing, g.Name(c))
				}
			})
			if len(missing) > 0 {
				warn(stderr, "token mint", "%s does not hold %s now: requests needing them are refused until it is granted them",
					account, strings.Join(missing, ", "))
			}
		}
	}
	return g.SetNames(closed), nil
}

// storedCapabilities reads account's stored capabilities from the user
// file (nil when it is not stored or the file does not exist yet).
func storedCapabilities(cfg *auth.Config, policy *capabilities.Policy, account string) ([]string, error) {
	switch {
	case cfg.Store.Driver == "postgres":
		return nil, errors.New("capabilities are kept in PostgreSQL (store.driver), which this command does not read")
	case cfg.Capabilities.UserFile == "":
		return nil, errors.New("capabilities.user_file is not set")
	}
	data, err := os.ReadFile(cfg.Capabilities.UserFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	users, err := filestore.DecodeUserFile(data, policy.Graph(), cfg.Capabilities.UserFile)
	if err != nil {
		return nil, err
	}
	return users[account], nil
}

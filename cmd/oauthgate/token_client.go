package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// maxTokenResponse bounds the body read from a token endpoint.
const maxTokenResponse = 1 << 20

func init() {
	tokenCommands["client"] = command{
		name:    "token client",
		summary: "get an access token with a client's id and secret (client-credentials grant)",
		run:     runTokenClient,
	}
}

func runTokenClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("token client", "token client --url URL --id ID (--secret S | --secret-env NAME | --secret-stdin) [--scope S] [--audience A] [--basic]", `
Asks the token endpoint at URL for an access token with the OAuth 2.0
client-credentials grant (RFC 6749 §4.4) and prints the JSON answer. The
client authenticates with its secret in the form body (client_secret_post),
or with --basic in an HTTP Basic Authorization header (client_secret_basic).
--scope (space-separated) and --audience narrow the token; without them the
endpoint grants the client's defaults.

Keep the secret out of your shell history and process list: prefer
--secret-env NAME (the secret is read from the environment variable NAME)
or --secret-stdin (the first line of standard input), e.g.

  oauthgate token client --url https://app.example.com/oauth/token --id job --secret-env JOB_SECRET

A plain http:// URL is refused unless its host is a loopback address, so that
a secret never crosses a network in clear. Exit status 1 when the endpoint
refuses (its JSON error is printed on stderr).`)
	endpoint := fs.String("url", "", "token endpoint `URL` (required)")
	id := fs.String("id", "", "client `ID` (required)")
	secretFlag := fs.String("secret", "", "client `SECRET` (visible to other local users; prefer --secret-env or --secret-stdin)")
	secretEnv := fs.String("secret-env", "", "read the secret from environment variable `NAME`")
	secretStdin := fs.Bool("secret-stdin", false, "read the secret from the first line of standard input")
	scope := fs.String("scope", "", "space-separated `scopes` to ask for")
	audience := fs.String("audience", "", "`audience` to ask for")
	basic := fs.Bool("basic", false, "send the credentials in an HTTP Basic header instead of the form")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this `duration`")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	sources := 0
	for _, set := range []bool{*secretFlag != "", *secretEnv != "", *secretStdin} {
		if set {
			sources++
		}
	}
	switch {
	case len(rest) > 0:
		return usageError(fs, "unexpected argument %q", rest[0])
	case *endpoint == "":
		return usageError(fs, "missing --url URL")
	case *id == "":
		return usageError(fs, "missing --id ID")
	case sources == 0:
		return usageError(fs, "missing the secret: --secret-env NAME, --secret-stdin or --secret S")
	case sources > 1:
		return usageError(fs, "give the secret one way only")
	case *timeout <= 0:
		return usageError(fs, "--timeout must be positive")
	}
	u, err := url.Parse(*endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return usageError(fs, "--url: want an http(s) URL with a host")
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("refusing to send a client secret over plain http to %s; use https", u.Host)
	}

	secret := *secretFlag
	switch {
	case *secretEnv != "":
		secret = os.Getenv(*secretEnv)
		if secret == "" {
			return fmt.Errorf("environment variable %s is empty or not set", *secretEnv)
		}
	case *secretStdin:
		line, err := readInput(stdin, "the secret", 4096)
		if err != nil {
			return err
		}
		secret, _, _ = strings.Cut(line, "\n")
		secret = strings.TrimSuffix(secret, "\r")
		if secret == "" {
			return errors.New("no secret on standard input")
		}
	}

	form := url.Values{"grant_type": {"client_credentials"}}
	if *scope != "" {
		form.Set("scope", *scope)
	}
	if *audience != "" {
		form.Set("audience", *audience)
	}
	if !*basic {
		form.Set("client_id", *id)
		form.Set("client_secret", secret)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if *basic {
		// RFC 6749 §2.3.1: both parts are form-encoded first.
		req.SetBasicAuth(url.QueryEscape(*id), url.QueryEscape(secret))
	}
	client := &http.Client{
		// A redirect would resend the form (and the secret) elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is said below, once
		}
		return fmt.Errorf("POST %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return fmt.Errorf("reading the answer of %s: %w", u.Redacted(), err)
	}
	if len(body) > maxTokenResponse {
		return fmt.Errorf("the answer of %s is longer than %d bytes", u.Redacted(), maxTokenResponse)
	}
	var pretty bytes.Buffer
	isJSON := json.Indent(&pretty, body, "", "  ") == nil
	if resp.StatusCode != http.StatusOK {
		if isJSON {
			fmt.Fprintln(stderr, pretty.String())
		}
		return fmt.Errorf("the token endpoint answered %s", resp.Status)
	}
	if !isJSON {
		return fmt.Errorf("the token endpoint answered 200 without JSON (Content-Type %q)", resp.Header.Get("Content-Type"))
	}
	_, err = fmt.Fprintln(stdout, pretty.String())
	return err
}

// isLoopbackHost reports whether host (without port) is localhost or a
// loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

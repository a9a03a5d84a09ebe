package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// loginProvider is what differs between the kinds of identity provider
// (the provider key) once ready. What stays the same for all is [Login]'s
// and the re-check's: state, PKCE verifier and nonce in the flow cookie,
// the next path, session rotation, allowed_email_domains, claim rules,
// logout, and what a re-check's answer does to a token.
type loginProvider interface {
	// authCodeURL returns the authorization request of f: its state and
	// PKCE S256 challenge (and nonce for OpenID providers), the scopes and
	// client_kwargs' parameters.
	authCodeURL(f flow) string
	// exchange trades the callback's code for the token answer, sending
	// f's PKCE verifier. A refusal is an *oauth2.RetrieveError.
	exchange(ctx context.Context, code string, f flow) (*oauth2.Token, error)
	// identify establishes who logged in from the token answer: the email
	// as the provider sent it (Login checks its syntax and domain), a
	// subject, and the claims for claim rules. Its errors are *Error
	// values saying what the browser is told.
	identify(ctx context.Context, tok *oauth2.Token, f flow) (verifiedLogin, error)
	// grant returns what a re-check needs later of tok ("" for none): a
	// refresh token, or a lasting access token.
	grant(tok *oauth2.Token) string
	// recheck asks the provider whether the holder of grant is still
	// email. An error wrapping ErrTokenRevoked is a refusal; any other
	// error means the provider could not answer. The result's grant, when
	// not empty, is the grant to keep from now on, even with an error.
	recheck(ctx context.Context, grant, email string) (recheckResult, error)
	// check is config check's test of the provider beyond discovery: its
	// keys load, or its endpoints answer.
	check(ctx context.Context) error
}

// recheckResult is what a re-check learnt.
type recheckResult struct {
	grant  string                     // the grant to keep; "" when the provider gave none
	claims map[string]json.RawMessage // the user's claims now; nil: unchanged
}

// authCodeURL builds the authorization request of f on cfg: state, PKCE
// S256, client_kwargs' parameters, then opts.
func (d providerDeps) authCodeURL(cfg oauth2.Config, f flow, opts ...oauth2.AuthCodeOption) string {
	cfg.RedirectURL = f.redirectURI
	all := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier)}
	for k, v := range d.cfg.authorizeParams() {
		all = append(all, oauth2.SetAuthURLParam(k, v))
	}
	return cfg.AuthCodeURL(f.state, append(all, opts...)...)
}

// exchange trades code at cfg's token endpoint with f's PKCE verifier.
func (d providerDeps) exchange(ctx context.Context, cfg oauth2.Config, code string, f flow) (*oauth2.Token, error) {
	cfg.RedirectURL = f.redirectURI
	return cfg.Exchange(d.clientContext(ctx), code, oauth2.VerifierOption(f.verifier))
}

// refreshRefused reports whether err is the token endpoint refusing a
// refresh token (invalid_grant), as opposed to not answering.
func refreshRefused(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// Errors of a provider's API, told apart by the login (400 or 502) and
// the re-check (the end of a token, or the grace period).
var (
	// errUnauthorized: the API answered 401, the access token is not (or
	// no longer) valid.
	errUnauthorized = errors.New("the access token was refused (401)")
	// errUnreachable: no answer, or not a readable one.
	errUnreachable = errors.New("the identity provider cannot be reached")
)

// getJSON GETs url with the access token (none when empty) and returns
// the answer's body and header. A 401 wraps errUnauthorized; no answer
// wraps errUnreachable; another status than 200 is a *statusError.
func (d providerDeps) getJSON(ctx context.Context, url, accessToken string, header http.Header) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errUnreachable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("%w: GET %s: %w", errUnreachable, url, err)
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, nil, fmt.Errorf("GET %s: %w", url, errUnauthorized)
	case resp.StatusCode != http.StatusOK:
		return nil, nil, &statusError{url: url, status: resp.StatusCode, body: body}
	}
	return body, resp.Header, nil
}

// statusError is an answer of another status than 200 from a provider's
// API.
type statusError struct {
	url    string
	status int
	body   []byte
}

func (e *statusError) Error() string {
	b := strings.TrimSpace(string(e.body))
	if len(b) > 200 {
		b = b[:200] + "..."
	}
	return fmt.Sprintf("GET %s: status %d: %s", e.url, e.status, b)
}

// refusedError is a login refused for who the user is (an unverified
// email, no allowed organisation or tenant): msg is what the browser is
// told. At a re-check, it ends the user's token.
type refusedError struct {
	msg string
	err error
}

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

func refused(msg string, format string, args ...any) error {
	return &refusedError{msg: msg, err: fmt.Errorf(format, args...)}
}

// Public messages of the refusals several providers give.
const (
	msgUnverified = "your email address is not verified by the identity provider"
	msgNoEmail    = "the identity provider gave no email address"
)

// loginErrorOf is how a login answers an error of identify: an *Error as
// it is; a refusal, or a 4xx of the provider's API, with 400; no answer
// or a 5xx with 502; anything else (an answer that fails a check) with
// 400.
func loginErrorOf(err error) *Error {
	var e *Error
	var r *refusedError
	var se *statusError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &r):
		return loginBad(r.msg, err)
	case errors.Is(err, errUnreachable), errors.As(err, &se) && se.status >= 500:
		return loginUnavailable("the identity provider cannot be reached", err)
	case errors.Is(err, errUnauthorized), se != nil:
		return loginBad("the identity provider refused to say who logged in", err)
	}
	return loginBad("the identity provider's answer was refused", err)
}

// recheckErrorOf is how a re-check takes an error: a refusal or a 401
// ends the token (ErrTokenRevoked); anything else is the provider not
// answering, and the grace period applies.
func recheckErrorOf(err error) error {
	var r *refusedError
	if errors.As(err, &r) || errors.Is(err, errUnauthorized) {
		return fmt.Errorf("auth: %w: %w", err, ErrTokenRevoked)
	}
	return err
}

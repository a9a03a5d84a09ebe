package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
)

// ledger is a machine issuer of another package plugged in from Go: it
// knows the tokens it issued, and revoking one moves its version.
type ledger struct {
	iss      string
	mu       sync.Mutex
	tokens   map[string]auth.Machine // token → what it says
	revoked  map[string]bool
	version  atomic.Uint64
	verifies atomic.Int64
	audience []string // the audience each Verify was asked for
	secret   string   // must never be printed
}

func newLedger(iss string) *ledger {
	return &ledger{iss: iss, tokens: map[string]auth.Machine{}, revoked: map[string]bool{}, secret: "ledger-signing-secret"}
}

// issue returns a JWT-shaped token whose iss is the ledger's.
func (l *ledger) issue(sub, aud string, exp time.Time, scopes ...string) string {
	enc := base64.RawURLEncoding.EncodeToString
	payload := fmt.Sprintf(`{"iss":%q,"sub":%q}`, l.iss, sub)
	tok := enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte(sub+aud))
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens[tok] = auth.Machine{Issuer: l.iss, Subject: sub, ClientID: sub, Audience: []string{aud}, ID: "id-" + sub,
		ExpiresAt: exp, HasScope: true, Scopes: scopes}
	return tok
}

func (l *ledger) revoke(tok string) {
	l.mu.Lock()
	l.revoked[tok] = true
	l.mu.Unlock()
	l.version.Add(1)
}

func (l *ledger) Issuer() string  { return l.iss }
func (l *ledger) Version() uint64 { return l.version.Load() }

func (l *ledger) Verify(_ context.Context, tok, aud string, now time.Time) (*auth.Machine, error) {
	l.verifies.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.audience = append(l.audience, aud)
	mi, ok := l.tokens[tok]
	switch {
	case !ok:
		return nil, fmt.Errorf("ledger: unknown token: %w", auth.ErrTokenInvalid)
	case l.revoked[tok]:
		return nil, fmt.Errorf("ledger: revoked: %w", auth.ErrTokenRevoked)
	case aud != "" && aud != mi.Audience[0]:
		return nil, fmt.Errorf("ledger: for %s: %w", mi.Audience[0], auth.ErrTokenInvalid)
	case !now.Before(mi.ExpiresAt):
		return nil, fmt.Errorf("ledger: expired: %w", auth.ErrTokenExpired)
	}
	return &mi, nil
}

// TestVerifyMachineToken: the tokens of jwt_issuers and of a plugged-in
// issuer give client identities, verified once per (audience, token), again
// when the plugged-in issuer's version moves; anything else is refused as
// an invalid token.
func TestVerifyMachineToken(t *testing.T) {
	t.Parallel()
	l := newLedger("https://ledger.example/")
	e := newEnv(t, envOptions{
		idp: machineEnvOptions(),
		configure: func(c *auth.Config) {
			configureMachine(c, false)
			c.MachineIssuers = []auth.MachineIssuer{l}
		},
	})
	ctx := context.Background()

	// A JWT of jwt_issuers, for its configured audience or that one named.
	for _, aud := range []string{"", petsAudience} {
		id, err := e.m.VerifyMachineToken(ctx, e.clientToken("cron"), aud)
		if err != nil || id.Kind != auth.KindClient || id.Subject != "cron" || id.Machine().ClientID != "cron" {
			t.Fatalf("jwt_issuers token for %q: %+v %v", aud, id, err)
		}
	}
	if _, err := e.m.VerifyMachineToken(ctx, e.clientToken("cron"), "another-api"); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("jwt_issuers token for another audience: %v; want ErrTokenInvalid", err)
	}

	// A token of the plugged-in issuer, verified once while its version
	// stays.
	tok := l.issue("ledger-bot", "books", e.clock.Now().Add(time.Hour), "read:pets")
	for range 3 {
		id, err := e.m.VerifyMachineToken(ctx, tok, "")
		if err != nil || id.Kind != auth.KindClient || id.Subject != "ledger-bot" || id.TokenID != "id-ledger-bot" ||
			!id.Has("read") || id.Machine().Issuer != l.iss {
			t.Fatalf("ledger token: %+v %v", id, err)
		}
	}
	if n := l.verifies.Load(); n != 1 {
		t.Fatalf("Verify called %d times for one token; want 1 (cached)", n)
	}
	// Another audience is another verification, passed on as asked.
	if _, err := e.m.VerifyMachineToken(ctx, tok, "books"); err != nil {
		t.Fatalf("ledger token for its audience: %v", err)
	}
	if _, err := e.m.VerifyMachineToken(ctx, tok, "other"); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("ledger token for another audience: %v", err)
	}
	if got := strings.Join(l.audience, ","); got != ",books,other" {
		t.Fatalf("audiences asked: %q", got)
	}
	// The same token through the middleware: the same identity.
	if code, body, _ := e.callBearer("/read", tok); code != 200 || body != "client:ledger-bot read" {
		t.Fatalf("/read with the ledger token = %d %q", code, body)
	}

	// A version change makes a cached token be verified again: a revoked
	// one is refused at once, everywhere.
	before := l.verifies.Load()
	l.issue("other-bot", "books", e.clock.Now().Add(time.Hour))
	l.version.Add(1)
	if _, err := e.m.VerifyMachineToken(ctx, tok, ""); err != nil || l.verifies.Load() != before+1 {
		t.Fatalf("after a version change: %v, %d verifications; want one more", err, l.verifies.Load()-before)
	}
	l.revoke(tok)
	if _, err := e.m.VerifyMachineToken(ctx, tok, ""); !errors.Is(err, auth.ErrTokenRevoked) {
		t.Fatalf("revoked ledger token: %v; want ErrTokenRevoked", err)
	}
	if code, _, challenge := e.callBearer("/read", tok); code != 401 || !strings.Contains(challenge, "invalid_token") {
		t.Fatalf("/read with a revoked ledger token = %d %q", code, challenge)
	}

	// Expired tokens are refused from the cache.
	short := l.issue("short-bot", "books", e.clock.Now().Add(time.Minute))
	if _, err := e.m.VerifyMachineToken(ctx, short, ""); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Minute)
	if _, err := e.m.VerifyMachineToken(ctx, short, ""); !errors.Is(err, auth.ErrTokenExpired) {
		t.Fatalf("expired ledger token: %v; want ErrTokenExpired", err)
	}

	// Not machine tokens: a user token, a JWT of an unknown issuer, junk.
	b := e.browser()
	b.login("erin@example.com", "/login")
	stranger := newLedger("https://stranger.example/").issue("x", "books", e.clock.Now().Add(time.Hour))
	for name, tok := range map[string]string{"user token": userToken(t, b), "unknown issuer": stranger, "junk": "not-a-token"} {
		if id, err := e.m.VerifyMachineToken(ctx, tok, ""); id != nil || !errors.Is(err, auth.ErrTokenInvalid) {
			t.Errorf("%s: %+v %v; want ErrTokenInvalid", name, id, err)
		}
	}
}

// TestMachineIssuersMustDiffer: an issuer plugged in twice, or also in
// jwt_issuers, is a wiring mistake New refuses.
func TestMachineIssuersMustDiffer(t *testing.T) {
	t.Parallel()
	for name, configure := range map[string]func(*auth.Config, string){
		"twice": func(c *auth.Config, _ string) {
			c.MachineIssuers = []auth.MachineIssuer{newLedger("https://ledger.example/"), newLedger("https://ledger.example/")}
		},
		"also in jwt_issuers": func(c *auth.Config, idpURL string) {
			c.JWTIssuers = []auth.JWTIssuer{{Issuer: idpURL, Audience: petsAudience, JWKSURL: idpURL + "/jwks"}}
			c.MachineIssuers = []auth.MachineIssuer{newLedger(idpURL)}
		},
		"nil": func(c *auth.Config, _ string) { c.MachineIssuers = []auth.MachineIssuer{nil} },
	} {
		cfg := testConfig()
		cfg.ServerMetadataURL = "https://idp.example/.well-known/openid-configuration"
		configure(cfg, "https://idp.example")
		if m, err := auth.New(context.Background(), cfg); err == nil {
			m.Close()
			t.Errorf("%s: New accepted the issuers", name)
		}
	}
}

// TestConfigPrintsIssuersByName: a printed configuration shows a plugged-in
// issuer by its iss, never by what it holds.
func TestConfigPrintsIssuersByName(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MachineIssuers = []auth.MachineIssuer{newLedger("https://ledger.example/")}
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v", cfg.LogValue()), fmt.Sprintf("%+v", *cfg)} {
		if strings.Contains(s, "ledger-signing-secret") || !strings.Contains(s, "https://ledger.example/") {
			t.Errorf("printed configuration: %s", s)
		}
	}
}

package auth

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
)

func tokenInfoConfig(t *testing.T) *Config {
	t.Helper()
	cfg, err := ParseConfig([]byte(noLoginBase + "previous_secret_keys: [\"" + testKey2 + "\"]\ntoken_ttl: 2h\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Now = func() time.Time { return testNow }
	return cfg
}

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestMintInspectRoundTrip(t *testing.T) {
	t.Parallel()
	cfg := tokenInfoConfig(t)
	for _, in := range []TokenInfo{
		{Kind: KindUser, Subject: "Boss@Example.com"},
		{Kind: KindUser, Subject: "xtof@example.com", Claims: map[string][]string{"username": {"xtof"}, "groups": {"a", "b"}, "level": {"3"}}},
		{Kind: KindService, Subject: "bot@service", Capabilities: []string{"read", "write"}, ID: "my-id",
			IssuedAt: testNow.Add(-time.Minute), ExpiresAt: testNow.Add(time.Hour)},
	} {
		tok, err := MintToken(cfg, in)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		got, err := InspectToken(cfg, tok.Token)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		want := TokenInfo{Kind: in.Kind, Subject: strings.ToLower(in.Subject), Capabilities: in.Capabilities, ID: in.ID,
			IssuedAt: in.IssuedAt, ExpiresAt: in.ExpiresAt, Claims: in.Claims}
		if want.ID == "" {
			want.ID = tok.ID
		}
		if want.IssuedAt.IsZero() {
			want.IssuedAt, want.ExpiresAt = testNow, testNow.Add(2*time.Hour)
		}
		if got.Kind != want.Kind || got.Subject != want.Subject || !slices.Equal(got.Capabilities, want.Capabilities) ||
			got.ID != want.ID || len(got.ID) == 0 || !got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
			got.Recheck || !got.CheckedAt.IsZero() || !claimValues(got.Claims).equal(want.Claims) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
		if tok.Kind != want.Kind || tok.Subject != want.Subject || tok.ID != got.ID || !tok.ExpiresAt.Equal(got.ExpiresAt) {
			t.Errorf("MintToken returned %+v for %+v", tok, got)
		}
	}
}

func TestMintTokenRefusals(t *testing.T) {
	t.Parallel()
	cfg := tokenInfoConfig(t)
	for name, in := range map[string]TokenInfo{
		"guest":               {Kind: KindGuest, Subject: "a@example.com"},
		"client":              {Kind: KindClient, Subject: "cron"},
		"service as user":     {Kind: KindUser, Subject: "bot@service"},
		"user as service":     {Kind: KindService, Subject: "a@example.com"},
		"not an email":        {Kind: KindUser, Subject: "nobody"},
		"user capabilities":   {Kind: KindUser, Subject: "a@example.com", Capabilities: []string{"read"}},
		"recheck":             {Kind: KindUser, Subject: "a@example.com", Recheck: true},
		"checked":             {Kind: KindUser, Subject: "a@example.com", CheckedAt: testNow},
		"expiry before issue": {Kind: KindUser, Subject: "a@example.com", ExpiresAt: testNow.Add(-time.Hour)},
		"service claims":      {Kind: KindService, Subject: "bot@service", Claims: map[string][]string{"username": {"x"}}},
		"empty claim name":    {Kind: KindUser, Subject: "a@example.com", Claims: map[string][]string{"": {"x"}}},
		"long claim value":    {Kind: KindUser, Subject: "a@example.com", Claims: map[string][]string{"bio": {strings.Repeat("x", maxClaimValue+1)}}},
		"claims over budget":  {Kind: KindUser, Subject: "a@example.com", Claims: map[string][]string{"groups": slices.Repeat([]string{strings.Repeat("g", 200)}, 6)}},
	} {
		if tok, err := MintToken(cfg, in); err == nil {
			t.Errorf("%s: minted %+v", name, tok)
		}
	}
	if _, err := MintToken(&Config{SecretKey: "short"}, TokenInfo{Kind: KindUser, Subject: "a@example.com", ExpiresAt: testNow}); err == nil {
		t.Error("a weak secret_key minted")
	}
}

// InspectToken tells a value that is not a token, a token of other keys or
// purposes, an expired token and a token the app refuses for its kind.
func TestInspectTokenRefusals(t *testing.T) {
	t.Parallel()
	cfg := tokenInfoConfig(t)
	codec, err := envelope.NewCodec(testKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	user := envelope.Claims{Kind: envelope.TokenUser, Subject: "u@example.com", IssuedAt: testNow.Add(-time.Hour), ExpiresAt: testNow.Add(time.Hour),
		RefreshToken: "idp-refresh-SECRET", CheckedAt: testNow.Add(-time.Minute)}
	seal := func(c *envelope.Codec, p envelope.Purpose, claims envelope.Claims) string {
		tok, err := c.Seal(p, claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	other, err := envelope.NewCodec(testKey3, nil)
	if err != nil {
		t.Fatal(err)
	}
	expired, session := user, user
	expired.ExpiresAt = testNow
	session.Kind = envelope.TokenSession

	info, err := InspectToken(cfg, seal(codec, envelope.PurposeUserToken, user))
	if err != nil || !info.Recheck || !info.CheckedAt.Equal(user.CheckedAt) || info.Kind != KindUser {
		t.Errorf("re-checked token: %+v, %v", info, err)
	}
	for _, tc := range []struct {
		name, tok string
		want      error
		info      bool // the info comes with the error
	}{
		{"malformed", "not*a*token", ErrTokenMalformed, false},
		{"other key", seal(other, envelope.PurposeUserToken, user), ErrTokenInvalid, false},
		{"flow purpose", seal(codec, envelope.PurposeFlow, user), ErrTokenInvalid, false},
		{"offline purpose", seal(codec, envelope.PurposeOffline, user), ErrTokenInvalid, false},
		{"expired", seal(codec, envelope.PurposeUserToken, expired), ErrTokenExpired, true},
		{"session kind as user token", seal(codec, envelope.PurposeUserToken, session), ErrTokenInvalid, true},
	} {
		info, err := InspectToken(cfg, tc.tok)
		if !errors.Is(err, tc.want) || (info.Subject != "") != tc.info {
			t.Errorf("%s: %+v, %v; want %v", tc.name, info, err, tc.want)
		}
	}
}

// The offline cookie, the kept grant and the login flow each have their
// own key: none opens as another, nor as a bearer token.
func TestSideValuePurposes(t *testing.T) {
	t.Parallel()
	cfg := tokenInfoConfig(t)
	cfg.Logger = slog.New(slog.DiscardHandler)
	m, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := sessionData{Email: "u@example.com", ID: "sid", Issued: testNow.Unix()}
	offline, err := sealOffline(m.codec, d, "refresh")
	if err != nil {
		t.Fatal(err)
	}
	grant, err := m.sealGrant(keptGrant{refresh: "refresh", checked: testNow})
	if err != nil {
		t.Fatal(err)
	}
	kept := keptGrant{refresh: "r2", checked: testNow, claims: claimValues{"groups": {"a", "b"}, "username": {"xtof"}}, hasClaims: true}
	grantClaims, err := m.sealGrant(kept)
	if err != nil {
		t.Fatal(err)
	}
	noClaims, err := m.sealGrant(keptGrant{refresh: "r3", checked: testNow, hasClaims: true})
	if err != nil {
		t.Fatal(err)
	}
	flowValue, err := m.login.sealFlow(flow{state: "s", nonce: "n", verifier: "v", next: "/", redirectURI: "https://a.example/auth", created: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if g, err := openOffline(m.codec, offline); err != nil || g.email != d.Email || g.sessionID != d.ID || g.refresh != "refresh" || !g.loginTime.Equal(testNow) {
		t.Errorf("offline cookie: %+v, %v", g, err)
	}
	if g, err := m.openGrant(grant); err != nil || g.refresh != "refresh" || !g.checked.Equal(testNow) || g.hasClaims {
		t.Errorf("grant: %+v %v", g, err)
	}
	if g, err := m.openGrant(grantClaims); err != nil || g.refresh != "r2" || !g.checked.Equal(testNow) || !g.hasClaims || !g.claims.equal(kept.claims) {
		t.Errorf("grant with claims: %+v %v", g, err)
	}
	if g, err := m.openGrant(noClaims); err != nil || g.refresh != "r3" || !g.hasClaims || g.claims != nil {
		t.Errorf("grant with no claims kept: %+v %v", g, err)
	}
	for name, v := range map[string]string{"offline": offline, "grant": grant, "flow": flowValue} {
		if _, err := openOffline(m.codec, v); name != "offline" && !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("a %s value opens as an offline cookie: %v", name, err)
		}
		if _, err := m.openGrant(v); name != "grant" && !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("a %s value opens as a grant: %v", name, err)
		}
		if _, err := m.login.openFlow(v); name != "flow" && !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("a %s value opens as a login flow: %v", name, err)
		}
		if _, err := InspectToken(cfg, v); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("a %s value opens as a bearer token: %v", name, err)
		}
	}
}

package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/mockidp"
)

// claimEnv is a machine env whose graph has xtof_only and ops, with the
// given claim rules, and whose app serves /c/... through a handler that a
// reload replaces (as the gateway's SIGHUP builds a new Manager).
type claimEnv struct {
	*env
	app atomic.Pointer[http.Handler]
}

func newClaimEnv(t *testing.T, rules []auth.ClaimRule, configure ...func(*auth.Config)) *claimEnv {
	t.Helper()
	opts := machineEnvOptions()
	opts.Clients["xtof-bot"] = mockidp.Client{Secret: "s1", Audience: petsAudience, Scope: "read:pets",
		Claims: map[string]any{"username": "xtof", "groups": []any{"bots", "admins"}, "level": 3}}
	opts.Clients["other-bot"] = mockidp.Client{Secret: "s2", Audience: petsAudience, Scope: "read:pets",
		Claims: map[string]any{"username": "other", "groups": []any{"bots"}}}
	ce := &claimEnv{}
	ce.env = newEnv(t, envOptions{idp: opts, configure: func(c *auth.Config) {
		configureMachine(c, false)
		c.Capabilities.Graph["xtof_only"] = nil
		c.Capabilities.Graph["ops"] = nil
		c.ClaimCapabilities = rules
		for _, f := range configure {
			f(c)
		}
	}})
	ce.mount(ce.m)
	ce.env.app.Config.Handler.(*http.ServeMux).Handle("/c/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*ce.app.Load()).ServeHTTP(w, r)
	}))
	return ce
}

// mount serves the claim routes of m.
func (ce *claimEnv) mount(m *auth.Manager) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux := http.NewServeMux()
	mux.Handle("GET /c/xtof", m.Require("xtof_only")(ok))
	mux.Handle("GET /c/ops", m.Require("ops")(ok))
	mux.Handle("GET /c/baker", m.Require("baker")(ok))
	mux.Handle("GET /c/claim", m.RequireClaim("username", "xtof")(ok))
	mux.Handle("GET /c/group", m.RequireClaim("groups", "admins", "owners")(ok))
	var h http.Handler = mux
	ce.app.Store(&h)
}

// reload builds a new Manager from the env's config with other rules and
// serves the routes with it.
func (ce *claimEnv) reload(rules []auth.ClaimRule) {
	ce.t.Helper()
	cfg := *ce.cfg
	cfg.ClaimCapabilities = rules
	m, err := auth.New(context.Background(), &cfg)
	if err != nil {
		ce.t.Fatal(err)
	}
	ce.t.Cleanup(func() { m.Close() })
	ce.mount(m)
}

func (b *browser) loginWith(email string, claims map[string]any) {
	b.e.t.Helper()
	b.loginWithAt(b.e.m.Login().Path(), email, claims)
}

// loginWithAt logs email in with claims through loginPath (which may ask
// for an offline login).
func (b *browser) loginWithAt(loginPath, email string, claims map[string]any) {
	b.e.t.Helper()
	if err := b.e.idp.Provider.NextLogin(email, claims); err != nil {
		b.e.t.Fatal(err)
	}
	r := b.get(b.startLogin(loginPath).String())
	expect(b.e.t, r, http.StatusSeeOther)
}

var xtofRules = []auth.ClaimRule{
	{When: map[string]string{"username": "xtof"}, Grant: []string{"xtof_only"}},
	{When: map[string]string{"groups": "admins"}, Grant: []string{"ops"}},
}

func TestClaimRulesBrowserLogin(t *testing.T) {
	t.Parallel()
	ce := newClaimEnv(t, xtofRules)
	xtof, other, guest := ce.browser(), ce.browser(), ce.browser()
	xtof.loginWith("xtof@example.com", map[string]any{"username": "xtof", "groups": []any{"staff", "admins"}})
	other.loginWith("other@example.com", map[string]any{"username": "other", "groups": []any{"staff"}})

	expect(t, xtof.get("/c/xtof"), http.StatusOK)
	expect(t, xtof.get("/c/claim"), http.StatusOK)
	expect(t, xtof.get("/c/ops"), http.StatusOK)   // array claim, by membership
	expect(t, xtof.get("/c/group"), http.StatusOK) // one of the values
	for _, path := range []string{"/c/xtof", "/c/claim", "/c/ops", "/c/group"} {
		r := other.get(path)
		expect(t, r, http.StatusForbidden)
		expect(t, guest.get(path), http.StatusUnauthorized)
		if path == "/c/claim" && (!strings.Contains(r.body, `missing claim \"username\"`) || strings.Contains(r.body, "xtof") || strings.Contains(r.body, "other")) {
			t.Errorf("RequireClaim's 403 should name the claim and no value: %q", r.body)
		}
	}
	// The grants join the effective set, closed through the graph.
	r := xtof.get("/me")
	if !strings.Contains(r.body, "xtof_only") || !strings.Contains(r.body, "ops") || strings.Contains(other.get("/me").body, "xtof_only") {
		t.Errorf("capabilities: xtof %q, other %q", r.body, other.get("/me").body)
	}
}

func TestClaimRulesMachineToken(t *testing.T) {
	t.Parallel()
	ce := newClaimEnv(t, xtofRules)
	b := ce.browser()
	xtof, other := ce.clientToken("xtof-bot"), ce.clientToken("other-bot")
	for path, want := range map[string][2]int{
		"/c/xtof":  {200, 403},
		"/c/claim": {200, 403},
		"/c/ops":   {200, 403},
		"/c/group": {200, 403},
		"/c/baker": {403, 403},
	} {
		if got := b.bearer(path, xtof); got.code != want[0] {
			t.Errorf("xtof-bot %s: %d %q, want %d", path, got.code, got.body, want[0])
		}
		if got := b.bearer(path, other); got.code != want[1] {
			t.Errorf("other-bot %s: %d %q, want %d", path, got.code, got.body, want[1])
		}
	}
}

func TestClaimRulesApplyOnReload(t *testing.T) {
	t.Parallel()
	ce := newClaimEnv(t, []auth.ClaimRule{{When: map[string]string{"username": "xtof"}, Grant: []string{"baker"}}})
	b := ce.browser()
	b.loginWith("xtof@example.com", map[string]any{"username": "xtof", "groups": []any{"staff"}})
	tok := ce.clientToken("xtof-bot")
	expect(t, b.get("/c/baker"), http.StatusOK)
	expect(t, b.get("/c/xtof"), http.StatusForbidden)
	expect(t, b.bearer("/c/baker", tok), http.StatusOK)

	// The same session and token, judged by the new rules: the session
	// kept the claims read at login (username by the rule, groups by
	// RequireClaim), not the grant. Numbers compare as text.
	ce.reload([]auth.ClaimRule{
		{When: map[string]string{"username": "xtof", "groups": "staff"}, Grant: []string{"xtof_only"}},
		{When: map[string]string{"username": "xtof", "level": "3"}, Grant: []string{"xtof_only"}},
	})
	expect(t, b.get("/c/baker"), http.StatusForbidden)
	expect(t, b.get("/c/xtof"), http.StatusOK)
	expect(t, b.bearer("/c/baker", tok), http.StatusForbidden)
	expect(t, b.bearer("/c/xtof", tok), http.StatusOK)

	// Every when entry must match.
	ce.reload([]auth.ClaimRule{
		{When: map[string]string{"username": "xtof", "groups": "nobody"}, Grant: []string{"xtof_only"}},
		{When: map[string]string{"username": "xtof", "level": "4"}, Grant: []string{"xtof_only"}},
	})
	expect(t, b.get("/c/xtof"), http.StatusForbidden)
	expect(t, b.bearer("/c/xtof", tok), http.StatusForbidden)
}

func TestClaimRulesSessionKeepsOnlyNeededClaims(t *testing.T) {
	t.Parallel()
	ce := newClaimEnv(t, xtofRules)
	plain := ce.browser()
	plain.loginWith("plain@example.com", nil)
	base := len(plain.sessionCookie())

	// A large claim that no rule reads is not kept.
	bio := ce.browser()
	bio.loginWith("bio@example.com", map[string]any{"bio": strings.Repeat("x", 3000), "username": "xtof"})
	if n := len(bio.sessionCookie()); n > base+100 {
		t.Errorf("session cookie %d bytes with an unread claim, %d without", n, base)
	}
	expect(t, bio.get("/c/xtof"), http.StatusOK)

	// A read claim too large for the budget keeps the values rules name.
	groups := []any{}
	for i := range 400 {
		groups = append(groups, "group-with-a-long-name-"+strings.Repeat("g", i%7)+string(rune('a'+i%26)))
	}
	groups = append(groups, "admins")
	big := ce.browser()
	big.loginWith("big@example.com", map[string]any{"groups": groups})
	if n := len(big.sessionCookie()); n > base+2000 {
		t.Errorf("session cookie %d bytes with a large groups claim, %d without", n, base)
	}
	expect(t, big.get("/c/ops"), http.StatusOK)
	expect(t, big.get("/c/group"), http.StatusOK)
	if !strings.Contains(ce.logs.String(), "claims too large to keep whole") {
		t.Error("cutting the claims was not logged")
	}
}

func TestClaimRulesConfig(t *testing.T) {
	t.Parallel()
	base := "secret_key: " + testSecret + "\nclient_id: c\nserver_metadata_url: https://idp.example/.well-known/openid-configuration\n" +
		"capabilities: {graph: {xtof_only: []}}\n"
	cfg, err := auth.ParseConfig([]byte(base + "claim_capabilities:\n  - {when: {username: xtof, level: 3, admin: true}, grant: [xtof_only]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.ClaimCapabilities[0].When; w["level"] != "3" || w["admin"] != "true" || w["username"] != "xtof" {
		t.Errorf("when decoded as %v", w)
	}
	for _, tc := range []struct{ yaml, key string }{
		{"claim_capabilities:\n  - {grant: [xtof_only]}\n", "claim_capabilities[0].when"},
		{"claim_capabilities:\n  - {when: {username: xtof}}\n", "claim_capabilities[0].grant"},
		{"claim_capabilities:\n  - {when: {username: ''}, grant: [xtof_only]}\n", "claim_capabilities[0].when.username"},
		{"claim_capabilities:\n  - {when: {username: xtof}, grant: [xtof_only], grnat: [x]}\n", "grnat"},
	} {
		_, err := auth.ParseConfig([]byte(base + tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: error %v, want one naming %s", tc.yaml, err, tc.key)
		}
	}
	// Unknown capabilities are refused with the key path.
	cfg, err = auth.ParseConfig([]byte(base + "claim_capabilities:\n  - {when: {username: xtof}, grant: [xtof_only, nope]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = auth.New(context.Background(), cfg)
	var ce *auth.ConfigError
	if !errors.As(err, &ce) || ce.Key != "claim_capabilities[0].grant[1]" || !strings.Contains(ce.Reason, `"nope"`) {
		t.Errorf("unknown capability: %v", err)
	}
}

// A user token minted by /token from a session carries the claims the
// session kept, so a bearer gets the grants of its browser session.
func TestClaimRulesUserToken(t *testing.T) {
	t.Parallel()
	ce := newClaimEnv(t, xtofRules)
	xtof, other := ce.browser(), ce.browser()
	xtof.loginWith("xtof@example.com", map[string]any{"username": "xtof", "groups": []any{"staff", "admins"}, "bio": strings.Repeat("x", 2000)})
	other.loginWith("other@example.com", map[string]any{"username": "other", "groups": []any{"staff"}})
	xtok, otok := userToken(t, xtof), userToken(t, other)
	c := ce.browser()
	for path, want := range map[string][2]int{
		"/c/xtof":  {200, 403},
		"/c/claim": {200, 403},
		"/c/ops":   {200, 403},
		"/c/group": {200, 403},
		"/c/baker": {403, 403},
	} {
		if got := c.bearer(path, xtok); got.code != want[0] {
			t.Errorf("xtof's token %s: %d %q, want %d", path, got.code, got.body, want[0])
		}
		if got := c.bearer(path, otok); got.code != want[1] {
			t.Errorf("other's token %s: %d %q, want %d", path, got.code, got.body, want[1])
		}
	}
	// Only the claims read are in the token: not the large bio.
	if len(xtok) > len(otok)+100 {
		t.Errorf("xtof's token is %d bytes, other's %d", len(xtok), len(otok))
	}

	// A token minted before a rule change is judged by the new rules: it
	// carries the claims, not the grants.
	ce.reload([]auth.ClaimRule{{When: map[string]string{"username": "xtof", "groups": "staff"}, Grant: []string{"baker"}}})
	expect(t, c.bearer("/c/baker", xtok), http.StatusOK)
	expect(t, c.bearer("/c/xtof", xtok), http.StatusForbidden)
	expect(t, c.bearer("/c/baker", otok), http.StatusForbidden)

	// A token minted offline with claims is judged the same way.
	minted, err := auth.MintToken(ce.cfg, auth.TokenInfo{Kind: auth.KindUser, Subject: "bot@example.com", ExpiresAt: ce.clock.Now().Add(time.Hour),
		Claims: map[string][]string{"username": {"xtof"}, "groups": {"staff"}}})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, c.bearer("/c/baker", minted.Token), http.StatusOK)
	expect(t, c.bearer("/c/claim", minted.Token), http.StatusOK)
	if info, err := auth.InspectToken(ce.cfg, xtok); err != nil || strings.Join(info.Claims["username"], ",") != "xtof" || info.Claims["bio"] != nil {
		t.Errorf("inspect: %+v %v", info, err)
	}
}

// An offline user token's claims follow the provider: the re-check takes
// them from the refreshed ID token.
func TestClaimRulesFollowTheRecheck(t *testing.T) {
	t.Parallel()
	// The token store is shared with the Managers of reloads, as a
	// database or file store would be.
	ce := newClaimEnv(t, xtofRules, func(c *auth.Config) { c.TokenStore = memstore.NewTokenStore() })
	b := ce.browser()
	b.loginWithAt(ce.m.Login().Path()+"?offline_token=true", "xtof@example.com", map[string]any{"username": "xtof", "groups": []any{"admins"}})
	tok := userToken(t, b)
	c := ce.browser()
	expect(t, c.bearer("/c/xtof", tok), http.StatusOK)
	expect(t, c.bearer("/c/group", tok), http.StatusOK)
	interval := ce.m.Config().RecheckInterval

	// The provider changes the user's claims: nothing changes until the
	// re-check is due, then the grants go.
	if err := ce.idp.Provider.SetUserClaims("xtof@example.com", map[string]any{"username": "other", "groups": []any{"staff"}}); err != nil {
		t.Fatal(err)
	}
	expect(t, c.bearer("/c/xtof", tok), http.StatusOK)
	ce.clock.Advance(interval + time.Second)
	expect(t, c.bearer("/c/xtof", tok), http.StatusForbidden)
	expect(t, c.bearer("/c/claim", tok), http.StatusForbidden)
	expect(t, c.bearer("/c/ops", tok), http.StatusForbidden)
	expect(t, c.bearer("/c/group", tok), http.StatusForbidden)
	expect(t, c.bearer("/me", tok), http.StatusOK)

	// And they come back with the claim, at the next re-check.
	if err := ce.idp.Provider.SetUserClaims("xtof@example.com", map[string]any{"username": "xtof"}); err != nil {
		t.Fatal(err)
	}
	ce.clock.Advance(interval + time.Second)
	expect(t, c.bearer("/c/xtof", tok), http.StatusOK)
	expect(t, c.bearer("/c/claim", tok), http.StatusOK)
	expect(t, c.bearer("/c/ops", tok), http.StatusForbidden) // groups is gone

	// A Manager that meets the token for the first time (a restart, a
	// reload) starts from the claims of the last re-check, kept with the
	// grant, not from those sealed in the token.
	if err := ce.idp.Provider.SetUserClaims("xtof@example.com", map[string]any{"username": "other"}); err != nil {
		t.Fatal(err)
	}
	ce.clock.Advance(interval + time.Second)
	expect(t, c.bearer("/c/xtof", tok), http.StatusForbidden)
	ce.reload(xtofRules)
	expect(t, c.bearer("/c/xtof", tok), http.StatusForbidden)
	expect(t, c.bearer("/c/claim", tok), http.StatusForbidden)
}

package auth

import (
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/mockidp"
)

// benchMachine returns a handler behind Require("read") and a request with
// a client-credentials JWT of a mock provider whose keys are already
// fetched.
func benchMachine(b *testing.B) (*Manager, http.Handler, *http.Request) {
	b.Helper()
	clients := mockidp.DemoClients()
	clients["cron"] = mockidp.Client{Secret: "s", Audience: "pets", Scope: "read:pets"}
	idp, err := mockidp.NewServer(mockidp.Options{Clients: clients})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(idp.Close)
	m := benchManager(b)
	m.cfg.JWTIssuers = []JWTIssuer{{Issuer: idp.URL, Audience: "pets", JWKSURL: idp.URL + "/jwks", Algorithms: []string{"RS256"}, Leeway: defaultJWTLeeway, RefetchInterval: defaultJWKSRefetchInterval}}
	m.cfg.ScopeCapabilities = map[string][]string{"read:pets": {"read"}}
	if err := m.initMachine(); err != nil {
		b.Fatal(err)
	}
	tok, err := idp.Provider.MintClientToken("cron")
	if err != nil {
		b.Fatal(err)
	}
	h := m.Require("read")(benchHandler)
	r := requestWith(m, "bearer", tok)
	w := &nopWriter{h: http.Header{}}
	h.ServeHTTP(w, r)
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
	return m, h, r
}

// BenchmarkRequireMachineHot: a JWT already verified (token cache hit).
func BenchmarkRequireMachineHot(b *testing.B) {
	_, h, r := benchMachine(b)
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
}

// BenchmarkRequireMachineCold: a JWT not in the token cache, verified
// with the cached key (signature, claims, identity).
func BenchmarkRequireMachineCold(b *testing.B) {
	m, h, r := benchMachine(b)
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		m.machine.mu.Lock()
		clear(m.machine.cache)
		m.machine.mu.Unlock()
		h.ServeHTTP(w, r)
	}
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
}

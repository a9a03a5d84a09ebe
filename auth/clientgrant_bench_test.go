package auth

import (
	"context"
	"net/http"
	"testing"
)

// benchOwn returns a handler behind Require("read") and a request with a
// token of the gateway's own client-credentials grant.
func benchOwn(b *testing.B, alg string) (*Manager, http.Handler, *http.Request) {
	b.Helper()
	m := benchManager(b)
	hash, err := HashClientSecret("cron-secret")
	if err != nil {
		b.Fatal(err)
	}
	m.cfg.Clients = map[string]ClientConfig{"cron": {ClientSecret: hash, Audience: StringList{"pets"}, Scope: StringList{"read:pets"}}}
	m.cfg.ClientCredentials.Algorithm = alg
	m.cfg.ScopeCapabilities = map[string][]string{"read:pets": {"read"}}
	if err := m.cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	if err := m.initIssuing(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := m.initMachine(); err != nil {
		b.Fatal(err)
	}
	tok, err := m.IssueClientToken(context.Background(), ClientTokenRequest{ClientID: "cron", ClientSecret: "cron-secret"})
	if err != nil {
		b.Fatal(err)
	}
	h := m.Require("read")(benchHandler)
	r := requestWith(m, "bearer", tok.AccessToken)
	w := &nopWriter{h: http.Header{}}
	h.ServeHTTP(w, r)
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
	return m, h, r
}

// BenchmarkRequireOwnTokenHot: an own token already verified (cache hit,
// client store unchanged).
func BenchmarkRequireOwnTokenHot(b *testing.B) {
	_, h, r := benchOwn(b, "RS256")
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
}

// BenchmarkRequireOwnTokenCold: an own token seen for the first time,
// verified with the local key (signature, claims, client check).
func BenchmarkRequireOwnTokenCold(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			m, h, r := benchOwn(b, alg)
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
		})
	}
}

// BenchmarkIssueClientToken: a whole token request without HTTP: the
// argon2id secret check and the signature.
func BenchmarkIssueClientToken(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			m, _, _ := benchOwn(b, alg)
			req := ClientTokenRequest{ClientID: "cron", ClientSecret: "cron-secret"}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.IssueClientToken(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

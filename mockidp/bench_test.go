package mockidp

import (
	"context"
	"net/http"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// BenchmarkCodeFlowLogin is one complete login over real loopback HTTP:
// authorize (302 with code) then the token exchange (PKCE, client secret,
// signed ID token). The client does not verify the ID token, so the figure
// is the provider's cost plus the HTTP round trips.
func BenchmarkCodeFlowLogin(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			s := newTestServer(b, Options{Algorithm: alg})
			transport := &http.Transport{MaxIdleConnsPerHost: 64}
			b.Cleanup(transport.CloseIdleConnections)
			client := &http.Client{Transport: transport,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			ctx := oidc.ClientContext(context.Background(), client)
			cfg := oauth2.Config{
				ClientID: DemoClientID, ClientSecret: DemoClientSecret, RedirectURL: testRedirect,
				Endpoint: oauth2.Endpoint{AuthURL: s.URL + "/authorize", TokenURL: s.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader},
				Scopes:   []string{oidc.ScopeOpenID, "email", "profile"},
			}
			verifier := oauth2.GenerateVerifier()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					loc, err := FollowAuthorize(ctx, client, cfg.AuthCodeURL("st", oidc.Nonce("n"), oauth2.S256ChallengeOption(verifier)))
					if err != nil {
						b.Error(err)
						return
					}
					tok, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
					if err != nil || tok.Extra("id_token") == nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
		})
	}
}

// BenchmarkSignIDToken isolates the signing share of a login.
func BenchmarkSignIDToken(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			s := newTestServer(b, Options{Algorithm: alg})
			l := s.Provider.resolve(login{email: "a@b.c"})
			now := s.Provider.opts.Now()
			b.ReportAllocs()
			for b.Loop() {
				c := s.Provider.idTokenClaims(s.URL, DemoClientID, l, "n", "sid", "at", now, now)
				if _, err := s.Provider.signIDToken(c, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

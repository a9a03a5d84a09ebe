package clientcreds_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
)

type nopWriter struct {
	h    http.Header
	code int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(code int)        { w.code = code }

var okBody = []byte("ok")

// benchHandler is the app's handler: it reads the identity, as a real one
// would.
var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if auth.IdentityFrom(r.Context()).Email == "nobody" {
		w.WriteHeader(http.StatusTeapot)
	}
	w.Write(okBody)
})

// benchOwn returns the grant, its client store, a handler behind
// Require("read") and a request with a token of the grant.
func benchOwn(b *testing.B, alg string) (*clientcreds.Issuer, *memstore.ClientStore, http.Handler, *http.Request) {
	b.Helper()
	hash, err := clientcreds.HashClientSecret("cron-secret")
	if err != nil {
		b.Fatal(err)
	}
	cfg, cc, err := loadCC(b, "", ccYAML+`
clients:
  cron: {client_secret: "`+hash+`", audience: pets, scope: "read:pets"}
client_credentials: {algorithm: `+alg+`}
`)
	if err != nil {
		b.Fatal(err)
	}
	clients := memstore.NewClientStore()
	m, g, err := start(b, cfg, cc, clientcreds.Options{ClientStore: clients})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := g.IssueToken(context.Background(), clientcreds.TokenRequest{ClientID: "cron", ClientSecret: "cron-secret"})
	if err != nil {
		b.Fatal(err)
	}
	h := m.Require("read")(benchHandler)
	r, _ := http.NewRequest("GET", "http://127.0.0.1:8080/read?x=1", nil)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User-Agent", "bench")
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	w := &nopWriter{h: http.Header{}}
	h.ServeHTTP(w, r)
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
	return g, clients, h, r
}

// BenchmarkRequireOwnTokenHot: an own token already verified (cache hit,
// client store unchanged).
func BenchmarkRequireOwnTokenHot(b *testing.B) {
	_, _, h, r := benchOwn(b, "RS256")
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
}

// BenchmarkRequireOwnTokenCold: an own token verified again with the
// local key (signature, claims, client check), as after any change of the
// client store, which is made (untimed) before each request.
func BenchmarkRequireOwnTokenCold(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			_, clients, h, r := benchOwn(b, alg)
			w := &nopWriter{h: http.Header{}}
			ctx := context.Background()
			hash, err := clientcreds.HashClientSecret("other-secret")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				if err := clients.PutClient(ctx, store.Client{ID: "other", SecretHash: hash}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
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
			g, _, _, _ := benchOwn(b, alg)
			req := clientcreds.TokenRequest{ClientID: "cron", ClientSecret: "cron-secret"}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.IssueToken(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package auth

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/gorilla/securecookie"
	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/capabilities"
)

// nopWriter is the cheapest ResponseWriter, so that the benchmarks
// measure the middleware rather than a recorder.
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
	if IdentityFrom(r.Context()).Email == "nobody" {
		w.WriteHeader(http.StatusTeapot)
	}
	w.Write(okBody)
})

func benchManager(b *testing.B) *Manager {
	b.Helper()
	cfg := &Config{
		ServerMetadataURL: "http://127.0.0.1:9/.well-known/openid-configuration",
		SecretKey:         "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=",
		ClientID:          "app",
		BaseURL:           "http://127.0.0.1:8080",
		Capabilities: capabilities.Config{
			Graph:               map[string][]string{"read": {}, "write": {"read"}, "user_management": {}},
			DefaultCapabilities: []string{"read"},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	m, err := New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	ctx := context.Background()
	if _, err := m.Users().Store().Set(ctx, "boss@example.com", []string{"user_management", "write"}); err != nil {
		b.Fatal(err)
	}
	if _, err := m.Users().Store().Set(ctx, "bot@service", []string{"write"}); err != nil {
		b.Fatal(err)
	}
	return m
}

// credentials makes n distinct credentials of one kind.
func credentials(b *testing.B, m *Manager, kind string, n int) []string {
	b.Helper()
	ctx := context.Background()
	out := make([]string, n)
	boss := &Identity{Email: "boss@example.com", Kind: KindUser, Via: "session", graph: m.graph}
	boss.set, _ = m.effective(ctx, boss.Email)
	for i := range out {
		switch kind {
		case "session":
			d := sessionData{Email: "user@example.com", ID: envelope.NewTokenID(), Issued: m.now().Unix(), AuthTime: m.now().Unix()}
			v, err := securecookie.EncodeMulti(m.sess.name, &d, m.sess.codecs...)
			if err != nil {
				b.Fatal(err)
			}
			out[i] = v
		case "bearer":
			t, err := m.IssueUserToken(nil, nil, boss)
			if err != nil {
				b.Fatal(err)
			}
			out[i] = t.Token
		case "service":
			t, err := m.IssueServiceToken(ctx, boss, "bot@service")
			if err != nil {
				b.Fatal(err)
			}
			out[i] = t.Token
		}
	}
	return out
}

func requestWith(m *Manager, kind, cred string) *http.Request {
	r, _ := http.NewRequest("GET", "http://127.0.0.1:8080/read?x=1", nil)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User-Agent", "bench")
	switch kind {
	case "none":
		r.Header.Set("Cookie", "theme=dark; lang=en")
	case "session":
		r.Header.Set("Cookie", "theme=dark; "+m.sess.name+"="+cred+"; lang=en")
	default:
		r.Header.Set("Authorization", "Bearer "+cred)
	}
	return r
}

// benchMux is the app's router: a few routes, one of them (GET /read)
// served by h. The protected and unprotected benchmarks differ only in h,
// so their difference is the middleware's overhead.
func benchMux(h http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /read", h)
	mux.Handle("POST /write", benchHandler)
	mux.Handle("GET /items/{id}", benchHandler)
	mux.Handle("GET /{$}", benchHandler)
	return mux
}

// BenchmarkUnprotected is the baseline: the same route, request and
// writer as the protected benchmarks, without the middleware.
func BenchmarkUnprotected(b *testing.B) {
	h := benchMux(benchHandler)
	r := requestWith(nil, "none", "")
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
	reportCPU(b, cpu)
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
}

func benchHot(b *testing.B, kind string) {
	m := benchManager(b)
	h := benchMux(m.Require("read")(benchHandler))
	r := requestWith(m, kind, credentials(b, m, kind, 1)[0])
	w := &nopWriter{h: http.Header{}}
	h.ServeHTTP(w, r)
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
	reportCPU(b, cpu)
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
}

// benchCold measures credentials never seen before: each iteration uses a
// new one; when the pool runs out, the cache is emptied off the clock.
func benchCold(b *testing.B, kind string) {
	m := benchManager(b)
	h := benchMux(m.Require("read")(benchHandler))
	const pool = 4096
	creds := credentials(b, m, kind, pool)
	reqs := make([]*http.Request, pool)
	for i, c := range creds {
		reqs[i] = requestWith(m, kind, c)
	}
	w := &nopWriter{h: http.Header{}}
	// The user's effective set is warm, as it is for a new token of a
	// known user.
	h.ServeHTTP(w, requestWith(m, kind, credentials(b, m, kind, 1)[0]))
	m.cache.reset()
	b.ReportAllocs()
	cpu := processCPU()
	i := 0
	for b.Loop() {
		if i == pool {
			b.StopTimer()
			m.cache.reset()
			i = 0
			b.StartTimer()
		}
		h.ServeHTTP(w, reqs[i])
		i++
	}
	reportCPU(b, cpu)
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
}

func BenchmarkRequireSessionHot(b *testing.B)  { benchHot(b, "session") }
func BenchmarkRequireSessionCold(b *testing.B) { benchCold(b, "session") }
func BenchmarkRequireBearerHot(b *testing.B)   { benchHot(b, "bearer") }
func BenchmarkRequireBearerCold(b *testing.B)  { benchCold(b, "bearer") }
func BenchmarkRequireServiceHot(b *testing.B)  { benchHot(b, "service") }
func BenchmarkRequireServiceCold(b *testing.B) { benchCold(b, "service") }

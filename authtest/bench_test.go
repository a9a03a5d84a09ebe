package authtest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/authtest"
)

func hello(m *auth.Manager) http.Handler {
	return m.RequireLogin()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello", auth.IdentityFrom(r.Context()).Email)
	}))
}

// BenchmarkFullLogin is one login through the real flow: the app's
// /login, the provider's authorize and token endpoints, the callback.
func BenchmarkFullLogin(b *testing.B) {
	at := authtest.New(b, nil, hello)
	at.Browser("warm@example.com").Get("/").Expect(b, http.StatusOK)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at.Browser(fmt.Sprintf("user%d@example.com", i)).Get("/").Expect(b, http.StatusOK)
	}
}

// BenchmarkImpersonate1000 makes 1,000 user clients (login and /token
// each) and sends one request with each.
func BenchmarkImpersonate1000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		at := authtest.New(b, nil, hello)
		b.StartTimer()
		for j := 0; j < 1000; j++ {
			at.Client(fmt.Sprintf("user%d@example.com", j)).Get("/").Expect(b, http.StatusOK)
		}
	}
}

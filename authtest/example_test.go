package authtest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/authtest"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/handlers"
)

// Example mirrors easy-oauth's payroll test: guests get 401, users without
// the capability 403, accountants, admins and a service bot 200.
func Example() {
	t := exampleT() // in a test: the test's *testing.T
	defer t.finish()

	cfg := &auth.Config{
		Prefix: "/api/v1",
		Capabilities: capabilities.Config{Graph: map[string][]string{
			"payroll": {}, "user_management": {},
		}},
	}
	at := authtest.New(t, cfg, func(m *auth.Manager) http.Handler {
		mux := http.NewServeMux()
		handlers.Mount(mux, m)
		mux.Handle("GET /payroll", m.Require("payroll")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "payroll for", auth.IdentityFrom(r.Context()).Email)
		})))
		return mux
	})
	at.SetCapabilities("accountant@example.com", "payroll")
	at.SetCapabilities("boss@example.com", "admin")

	at.Guest().Get("/payroll").Expect(t, 401)
	at.Client("user@example.com").Get("/payroll").Expect(t, 403)
	fmt.Print(at.Client("accountant@example.com").Get("/payroll").Expect(t, 200).Text(t))
	fmt.Print(at.Client("boss@example.com").Get("/payroll").Expect(t, 200).Text(t))
	fmt.Print(at.Service("payroll-bot@service", "payroll").Get("/payroll").Expect(t, 200).Text(t))
	// Output:
	// payroll for accountant@example.com
	// payroll for boss@example.com
	// payroll for payroll-bot@service
}

// ExampleResponse_JSON decodes an answer; a bare handler gets the login
// routes served in front of it.
func ExampleResponse_JSON() {
	t := exampleT()
	defer t.finish()

	at := authtest.New(t, nil, func(m *auth.Manager) http.Handler {
		return m.RequireLogin()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := auth.IdentityFrom(r.Context())
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"email": %q, "kind": %q}`, id.Email, id.Kind)
		}))
	})
	var who struct{ Email, Kind string }
	at.Browser("Alice@Example.com").Get("/me").Expect(t, 200).JSON(t, &who)
	fmt.Println(who.Email, who.Kind)
	// Output: alice@example.com user
}

// exampleTB stands for the *testing.T of a test in the examples, which run
// outside any test: it prints failures and runs the cleanups at the end.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func exampleT() *exampleTB { return &exampleTB{} }

func (e *exampleTB) Helper()                      {}
func (e *exampleTB) Cleanup(f func())             { e.cleanups = append(e.cleanups, f) }
func (e *exampleTB) Errorf(f string, args ...any) { fmt.Printf("error: "+f+"\n", args...) }
func (e *exampleTB) Fatal(args ...any)            { panic(fmt.Sprint(args...)) }
func (e *exampleTB) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }
func (e *exampleTB) Logf(f string, args ...any)   { fmt.Printf(f+"\n", args...) }
func (e *exampleTB) finish() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

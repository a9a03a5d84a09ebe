package authtest_test

import (
	"fmt"
	"net/http"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/authtest"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/handlers"
)

// ExampleTester_Machine tests an API called by machine clients with
// client-credentials tokens: a capability route (through
// scope_capabilities) and routes guarded by the scope derived from the
// method and path.
func ExampleTester_Machine() {
	t := exampleT() // in a test: the test's *testing.T
	defer t.finish()

	cfg := &auth.Config{
		Capabilities:      capabilities.Config{Graph: map[string][]string{"read": {}}},
		ScopeCapabilities: map[string][]string{"read:pets": {"read"}},
	}
	at := authtest.New(t, cfg, func(m *auth.Manager) http.Handler {
		mux := http.NewServeMux()
		handlers.Mount(mux, m)
		hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := auth.IdentityFrom(r.Context())
			fmt.Fprintln(w, r.Method, r.URL.Path, "for", id.Kind, id.Subject)
		})
		mux.Handle("GET /report", m.Require("read")(hello))
		mux.Handle("/pets", m.RequireDerivedScope()(hello))
		return mux
	})

	reader := at.Machine("reader", "read:pets")
	fmt.Print(reader.Get("/report").Expect(t, 200).Text(t))
	fmt.Print(reader.Get("/pets").Expect(t, 200).Text(t))
	reader.Post("/pets", map[string]string{"name": "rex"}).Expect(t, 403) // needs write:pets

	writer := at.Machine("writer", "write:pets")
	writer.Get("/report").Expect(t, 403)
	fmt.Print(writer.Post("/pets", map[string]string{"name": "rex"}).Expect(t, 200).Text(t))
	// Output:
	// GET /report for client reader
	// GET /pets for client reader
	// POST /pets for client writer
}

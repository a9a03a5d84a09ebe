// Package payroll is a small API behind oauthgate, and its tests show
// easy-oauth's AppTester pattern in Go with package authtest: guests get
// 401, users without the capability 403, accountants and admins 200, and a
// service bot holding the capability 200.
package payroll

import (
	"encoding/json"
	"net/http"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/handlers"
)

// Prefix is where the API and oauthgate's routes live.
const Prefix = "/api/v1"

// Capabilities is the app's capabilities section: an accountant may view
// the payroll; admin (auto_admin) implies everything.
var Capabilities = capabilities.Config{Graph: map[string][]string{
	"view_payroll":    {},
	"user_management": {},
}}

// Handler serves oauthgate's routes and the payroll API under Prefix.
func Handler(m *auth.Manager) http.Handler {
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	mux.Handle("GET "+Prefix+"/payroll", m.Require("view_payroll")(http.HandlerFunc(viewPayroll)))
	return mux
}

// Line is one employee's pay.
type Line struct {
	Employee string `json:"employee"`
	Salary   int    `json:"salary"`
}

func viewPayroll(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode([]Line{{"alice", 5100}, {"bob", 4800}})
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/authtest"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/handlers"
)

// reportsApp serves GET /api/v1/reports to holders of reports.
func reportsApp(m *auth.Manager) http.Handler {
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	mux.Handle("GET /api/v1/reports", m.Require("reports")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "3 reports for %s\n", auth.IdentityFrom(r.Context()).Email)
	})))
	return mux
}

func TestBot(t *testing.T) {
	t.Parallel()
	cfg := &auth.Config{Prefix: "/api/v1", Capabilities: capabilities.Config{
		Graph: map[string][]string{"reports": {}, "user_management": {}},
	}}
	at := authtest.New(t, cfg, reportsApp)
	bot := at.Service("report-bot@service", "reports")
	if bot.Err() != nil {
		t.Fatal(bot.Err())
	}
	env := map[string]string{"APP_URL": at.URL, "OAUTHGATE_TOKEN": bot.Token()}

	var out strings.Builder
	if err := run(context.Background(), []string{"--path", "/api/v1/reports"}, mapEnv(env), &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "3 reports for report-bot@service\n" {
		t.Errorf("output = %q", got)
	}

	// Taking the capability away revokes the token's use of it at once.
	at.SetCapabilities("report-bot@service")
	err := run(context.Background(), []string{"--path", "/api/v1/reports"}, mapEnv(env), &out)
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("after removal: err = %v; want a 403", err)
	}

	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no url", nil, map[string]string{"OAUTHGATE_TOKEN": "x"}, "APP_URL"},
		{"no token", nil, map[string]string{"APP_URL": at.URL}, "OAUTHGATE_TOKEN"},
		{"bad token", []string{"--path", "/api/v1/reports"}, map[string]string{"APP_URL": at.URL, "OAUTHGATE_TOKEN": "not-a-token"}, "401"},
		{"flags win", []string{"--url", at.URL, "--token", "nope", "--path", "/api/v1/reports"}, env, "401"},
	}
	for _, tt := range tests {
		err := run(context.Background(), tt.args, mapEnv(tt.env), &out)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v; want one mentioning %s", tt.name, err, tt.want)
		}
	}
}

func mapEnv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

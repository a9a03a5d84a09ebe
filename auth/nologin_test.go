package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// noLoginBase is a configuration without identity provider, to which
// tests add lines.
const noLoginBase = "secret_key: \"" + testKey + "\"\n"

const issuerYAML = "jwt_issuers: [{issuer: https://a.example, audience: api, jwks_url: https://a.example/keys}]\n"

func TestNoLoginValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		yml      string
		key      string // the ConfigError expected; "" for a valid configuration
		contains string // in the error's reason
		noLogin  bool
		machine  bool
	}{
		{"machine issuer", noLoginBase + issuerYAML, "", "", true, true},
		{"service tokens only", noLoginBase, "", "", true, false},
		{"with a provider", minimal, "", "", false, false},
		{"force_user", noLoginBase + "force_user: dev@example.com\ninsecure_allow_force_user: true\n", "", "", false, false},
		{"client_id missing", noLoginBase + issuerYAML + "server_metadata_url: https://idp.example.com/x\n", "client_id", "leave out both", false, true},
		{"server_metadata_url missing", noLoginBase + issuerYAML + "client_id: app\n", "server_metadata_url", "leave out both", false, true},
		{"client_secret alone", noLoginBase + issuerYAML + "client_secret: x\n", "client_secret", "without server_metadata_url and client_id", true, true},
		{"client_kwargs alone", noLoginBase + issuerYAML + "client_kwargs: {prompt: login}\n", "client_kwargs", "without server_metadata_url and client_id", true, true},
		{"secret_key still required", issuerYAML, "secret_key", "", true, true},
		{"empty variables", noLoginBase + issuerYAML + "server_metadata_url: ${IDP_URL}\nclient_id: ${CLIENT_ID}\n", "server_metadata_url", "leave the key out", false, true},
		{"empty client_id", noLoginBase + issuerYAML + "client_id: \"\"\n", "client_id", "leave the key out", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := parseConfig([]byte(tc.yml), confdecode.Options{LookupEnv: envMap(map[string]string{"IDP_URL": "", "CLIENT_ID": ""})}, nil)
			if tc.key == "" {
				if err != nil {
					t.Fatalf("err = %v; want a valid configuration", err)
				}
				if cfg.NoLogin() != tc.noLogin || cfg.MachineCallers() != tc.machine {
					t.Errorf("NoLogin() = %v, MachineCallers() = %v; want %v, %v", cfg.NoLogin(), cfg.MachineCallers(), tc.noLogin, tc.machine)
				}
				return
			}
			ce := configErr(err, tc.key)
			if ce == nil {
				t.Fatalf("err = %v; want a ConfigError on %s", err, tc.key)
			}
			if !strings.Contains(ce.Reason, tc.contains) {
				t.Errorf("reason %q does not contain %q", ce.Reason, tc.contains)
			}
		})
	}
}

// TestNoLoginManager checks that a Manager without browser login never
// needs a provider: Discover succeeds at once and the login calls answer
// ErrNoLogin with 404, nothing written.
func TestNoLoginManager(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig([]byte(noLoginBase + issuerYAML))
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = &http.Client{Transport: roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected outbound request to %s", r.URL)
		return nil, errors.New("no network in this test")
	})}
	m, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.Config().NoLogin() {
		t.Error("NoLogin() = false")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Discover must not even need a live context
	if err := m.Login().Discover(ctx); err != nil {
		t.Errorf("Discover: %v", err)
	}
	w := httptest.NewRecorder()
	err = m.Login().Start(w, httptest.NewRequest("GET", "/login", nil), "/", false)
	if code := ErrorOf(err).Status; !errors.Is(err, ErrNoLogin) || code != http.StatusNotFound {
		t.Errorf("StartLogin: %v (%d); want ErrNoLogin, 404", err, code)
	}
	_, err = m.Login().Finish(w, httptest.NewRequest("GET", "/auth?code=c&state=s", nil))
	if code := ErrorOf(err).Status; !errors.Is(err, ErrNoLogin) || code != http.StatusNotFound {
		t.Errorf("FinishLogin: %v (%d); want ErrNoLogin, 404", err, code)
	}
	if len(w.Result().Cookies()) != 0 {
		t.Errorf("cookies set: %v", w.Result().Cookies())
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

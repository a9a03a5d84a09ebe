package auth

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A config loaded from a file and changed in Go before New gets the
// cookie defaults of its final values: the name, Secure and Max-Age
// follow base_url and session_max_age as New sees them.
func TestCookieDefaultsFollowTheFinalConfig(t *testing.T) {
	t.Parallel()
	load := func(t *testing.T, extra string) *Config {
		t.Helper()
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte("secret_key: "+testKey+"\n"+extra), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	tests := []struct {
		name       string
		file       string
		change     func(*Config)
		wantName   string
		wantSecure bool
		wantMaxAge time.Duration
	}{
		{"no base_url, then http loopback", "", func(c *Config) { c.BaseURL = "http://localhost:8000" },
			defaultCookieName, false, defaultSessionMaxAge},
		{"http base_url, then https", "base_url: http://127.0.0.1:8000\n", func(c *Config) { c.BaseURL = "https://app.example" },
			defaultSecureCookieName, true, defaultSessionMaxAge},
		{"shorter session_max_age", "", func(c *Config) { c.SessionMaxAge = time.Hour },
			defaultSecureCookieName, true, time.Hour},
		{"a domain set in Go", "base_url: https://app.example\n", func(c *Config) { c.Cookie.Domain = "app.example" },
			defaultCookieName, true, defaultSessionMaxAge},
		{"name set in the file is kept", "cookie: {name: my_session}\n", func(c *Config) { c.BaseURL = "http://localhost:8000" },
			"my_session", false, defaultSessionMaxAge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := load(t, tt.file)
			tt.change(cfg)
			cfg.Logger = slog.New(slog.DiscardHandler)
			m, err := New(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			got := m.Config()
			if got.Cookie.Name != tt.wantName || got.cookieSecure() != tt.wantSecure || got.Cookie.MaxAge != tt.wantMaxAge {
				t.Errorf("cookie name %q secure %v max age %v; want %q %v %v",
					got.Cookie.Name, got.cookieSecure(), got.Cookie.MaxAge, tt.wantName, tt.wantSecure, tt.wantMaxAge)
			}
		})
	}
}

// Validate leaves what the user did not set empty, so that the values it
// would derive can still change with the keys they come from.
func TestValidateKeepsDerivedCookieValuesOut(t *testing.T) {
	t.Parallel()
	cfg := &Config{SecretKey: testKey}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Cookie.Name != "" || cfg.Cookie.Secure != nil || cfg.Cookie.MaxAge != 0 {
		t.Errorf("Validate froze derived values into the user's fields: %+v", cfg.Cookie)
	}
}

package clientcreds_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/clientcreds"
)

// testSecret is the secret_key of the tests.
const testSecret = "9Wq2hJx7mL4vT8rK1pZ6cN3bF5dG0sYeUaQwErTyUiO="

// ccYAML is a configuration with no reachable provider (discovery is
// lazy), to which tests add the grant's keys.
const ccYAML = `
server_metadata_url: http://127.0.0.1:9/.well-known/openid-configuration
secret_key: ` + testSecret + `
client_id: app
base_url: http://127.0.0.1:8080
capabilities:
  graph: {read: [], write: [read]}
scope_capabilities:
  "read:pets": [read]
`

// loadCC writes yml as config.yaml in dir (a fresh folder when "") and
// reads it with the grant's section, as an app does.
func loadCC(t testing.TB, dir, yml string) (*auth.Config, *clientcreds.Config, error) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	var cc clientcreds.Config
	cfg, err := auth.LoadConfig(path, &cc)
	return cfg, &cc, err
}

// start builds the grant of cc and a Manager accepting its tokens.
func start(t testing.TB, cfg *auth.Config, cc *clientcreds.Config, opts clientcreds.Options) (*auth.Manager, *clientcreds.Issuer, error) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Logger == nil {
		cfg.Logger = opts.Logger
	}
	g, err := clientcreds.New(context.Background(), cc, opts)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { g.Close() })
	cfg.MachineIssuers = append(cfg.MachineIssuers, g)
	m, err := auth.New(context.Background(), cfg)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { m.Close() })
	return m, g, nil
}

// newCC is a Manager and the grant of ccYAML + extra.
func newCC(t testing.TB, extra string) (*auth.Manager, *clientcreds.Issuer) {
	t.Helper()
	cfg, cc, err := loadCC(t, "", ccYAML+extra)
	if err != nil {
		t.Fatal(err)
	}
	m, g, err := start(t, cfg, cc, clientcreds.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m, g
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

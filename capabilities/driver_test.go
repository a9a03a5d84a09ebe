package capabilities_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
)

// registerOnce keeps TestDriverRegistry repeatable (go test -count=N):
// the registry is process-wide and refuses a second registration.
var registerOnce sync.Once

func TestDriverRegistry(t *testing.T) {
	name := "test-memory-driver"
	registerOnce.Do(func() { registerMemoryDriver(name) })
	d, ok := capabilities.LookupDriver(name)
	if !ok {
		t.Fatal("LookupDriver does not find a registered driver")
	}
	if !slices.Contains(capabilities.Drivers(), name) {
		t.Errorf("Drivers() = %q; want it to list %q", capabilities.Drivers(), name)
	}
	g, err := capabilities.NewGraph(map[string][]string{"read": nil}, true)
	if err != nil {
		t.Fatal(err)
	}
	s, ts, err := d(context.Background(), "", g, nil)
	if err != nil || s == nil || ts == nil {
		t.Fatalf("driver = %v, %v, %v", s, ts, err)
	}
	if _, ok := capabilities.LookupDriver("no-such-driver"); ok {
		t.Error("LookupDriver found an unregistered driver")
	}
	for name, register := range map[string]func(){
		"twice": func() {
			capabilities.RegisterDriver(name, func(context.Context, string, *capabilities.Graph, *slog.Logger) (capabilities.Store, capabilities.TokenStore, error) {
				return nil, nil, nil
			})
		},
		"no name":   func() { capabilities.RegisterDriver("", d) },
		"no driver": func() { capabilities.RegisterDriver("other", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterDriver %s did not panic", name)
				}
			}()
			register()
		}()
	}
}

func registerMemoryDriver(name string) {
	capabilities.RegisterDriver(name, func(_ context.Context, _ string, g *capabilities.Graph, _ *slog.Logger) (capabilities.Store, capabilities.TokenStore, error) {
		return capabilities.NewMemoryStore(g), capabilities.NewMemoryTokenStore(), nil
	})
}

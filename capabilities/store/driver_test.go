package store_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// registerOnce keeps TestDriverRegistry repeatable (go test -count=N):
// the registry is process-wide and refuses a second registration.
var registerOnce sync.Once

func TestDriverRegistry(t *testing.T) {
	name := "test-memory-driver"
	registerOnce.Do(func() { store.RegisterDriver(name, memoryDriver{}) })
	d, ok := store.LookupDriver(name)
	if !ok {
		t.Fatal("LookupDriver does not find a registered driver")
	}
	if !slices.Contains(store.Drivers(), name) {
		t.Errorf("Drivers() = %q; want it to list %q", store.Drivers(), name)
	}
	g, err := capabilities.NewGraph(map[string][]string{"read": nil}, true)
	if err != nil {
		t.Fatal(err)
	}
	s, ts, err := d.Open(context.Background(), "", g, nil)
	if err != nil || s == nil || ts == nil {
		t.Fatalf("driver = %v, %v, %v", s, ts, err)
	}
	cs, err := d.OpenClients(context.Background(), "", nil)
	if err != nil || cs == nil {
		t.Fatalf("driver clients = %v, %v", cs, err)
	}
	if _, ok := store.LookupDriver("no-such-driver"); ok {
		t.Error("LookupDriver found an unregistered driver")
	}
	for name, register := range map[string]func(){
		"twice":     func() { store.RegisterDriver(name, memoryDriver{}) },
		"no name":   func() { store.RegisterDriver("", d) },
		"no driver": func() { store.RegisterDriver("other", nil) },
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

// memoryDriver opens memory stores, whatever the data source name.
type memoryDriver struct{}

func (memoryDriver) Open(_ context.Context, _ string, g *capabilities.Graph, _ *slog.Logger) (store.Store, store.TokenStore, error) {
	return memstore.New(g), memstore.NewTokenStore(), nil
}

func (memoryDriver) OpenClients(context.Context, string, *slog.Logger) (store.ClientStore, error) {
	return memstore.NewClientStore(), nil
}

func (memoryDriver) Ping(context.Context, string) error { return nil }

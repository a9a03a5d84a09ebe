package handlers_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// pausingStore is a real store that, once armed, stops the first access to
// one user's entry until the test lets it go: the widest window a slow
// request can leave between reading an entry and writing it.
type pausingStore struct {
	store.Store
	email   string
	armed   atomic.Bool
	reached chan struct{} // closed when the paused call is reached
	resume  chan struct{} // closed by the test to let it go on
}

func newPausingStore(s store.Store, email string) *pausingStore {
	return &pausingStore{Store: s, email: email, reached: make(chan struct{}), resume: make(chan struct{})}
}

func (p *pausingStore) pause(email string) {
	if capabilities.NormalizeEmail(email) == p.email && p.armed.CompareAndSwap(true, false) {
		close(p.reached)
		<-p.resume
	}
}

// Get pauses after reading: whatever is decided on its answer is decided
// on a stale read by the time the caller goes on.
func (p *pausingStore) Get(ctx context.Context, email string) ([]string, error) {
	caps, err := p.Store.Get(ctx, email)
	p.pause(email)
	return caps, err
}

// Update pauses before its atomic step, where nothing has been read yet.
func (p *pausingStore) Update(ctx context.Context, email string, fn func([]string) ([]string, error)) ([]string, error) {
	p.pause(email)
	return p.Store.Update(ctx, email, fn)
}

// A manager without admin replaces the list of a user holding admin
// (keeping admin, which the manager may not grant or take) while an admin
// removes that admin. Whatever the interleaving, the removal must stand:
// the manager's delegation check has to see the list it replaces.
func TestSetRacingRemovalKeepsRemoval(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(t *testing.T, g *capabilities.Graph) store.Store{
		"memory": func(t *testing.T, g *capabilities.Graph) store.Store { return memstore.New(g) },
		"file": func(t *testing.T, g *capabilities.Graph) store.Store {
			s, err := filestore.Open(filepath.Join(t.TempDir(), "caps.yaml"), g, filestore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			setRacingRemoval(t, open)
		})
	}
}

func setRacingRemoval(t *testing.T, open func(t *testing.T, g *capabilities.Graph) store.Store) {
	const target = "target@corp.example"
	var store *pausingStore
	app := start(t, e2etest.Options{
		Users: map[string][]string{
			e2etest.AdminEmail:   {"admin"},
			e2etest.ManagerEmail: {"user_management", "write"},
			target:               {"admin"},
		},
		Edit: func(cfg *auth.Config) {
			p, err := cfg.Capabilities.Policy()
			if err != nil {
				t.Fatal(err)
			}
			store = newPausingStore(open(t, p.Graph()), target)
			cfg.CapabilityStore = store
		},
	})
	admin := app.User(t, e2etest.AdminEmail)
	manager := app.User(t, e2etest.ManagerEmail)

	type answer struct {
		status int
		body   string
		err    error
	}
	done := make(chan answer, 1)
	store.armed.Store(true)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/manage_capabilities/set",
			strings.NewReader(`{"email":"`+target+`","capabilities":["admin","write"]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+manager.Bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		done <- answer{status: resp.StatusCode, body: string(body), err: err}
	}()
	var set answer
	select {
	case <-store.reached:
		// The manager's request stands between its read and its write:
		// the admin's removal goes through to the end.
		post(t, admin, "/manage_capabilities/remove", `{"email":"`+target+`","capability":"admin"}`, http.StatusOK)
		close(store.resume)
		set = <-done
	case set = <-done:
		t.Logf("the set never read %s", target)
	}
	if set.err != nil {
		t.Fatal(set.err)
	}

	caps, err := store.Store.Get(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(caps, "admin") {
		t.Fatalf("%s holds %q after the admin's removal (manager's set: %d %s)", target, caps, set.status, set.body)
	}
	if set.status != http.StatusForbidden {
		t.Errorf("manager's set = %d %s; want 403 (granting admin needs admin)", set.status, set.body)
	}
}

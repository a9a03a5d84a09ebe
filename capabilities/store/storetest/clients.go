package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/store"
)

// SecretHash is a well-formed argon2id hash (of no secret anyone knows)
// for clients written by the contract; stores check the form of a hash,
// never its value.
const SecretHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

// OtherSecretHash is a second one, for rotations.
const OtherSecretHash = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0b3RoZXJzYQ$b3RoZXJoYXNob3RoZXJoYXNob3RoZXJoYXNob3RoZXI"

// FullClient returns a client with every field set.
func FullClient(id string) store.Client {
	return store.Client{
		ID:          id,
		SecretHash:  SecretHash,
		Audience:    []string{"api", "other-api"},
		Subject:     id + "-subject",
		Scope:       []string{"read:data", "write:*"},
		Permissions: []string{"read:data", "needs: quote"},
		Roles:       []string{"sales_manager", "sales_associate"},
		Groups:      []string{"east", "ünïcødé"},
	}
}

// SameClient reports how got differs from want in what a store keeps of a
// written client (Created and Updated aside; nil and empty lists are
// equal), or "".
func SameClient(got, want store.Client) string {
	var diffs []string
	str := func(name, g, w string) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s = %q; want %q", name, g, w))
		}
	}
	list := func(name string, g, w []string) {
		if !slices.Equal(g, w) {
			diffs = append(diffs, fmt.Sprintf("%s = %q; want %q", name, g, w))
		}
	}
	str("ID", got.ID, want.ID)
	str("SecretHash", got.SecretHash, want.SecretHash)
	str("Subject", got.Subject, want.Subject)
	list("Audience", got.Audience, want.Audience)
	list("Scope", got.Scope, want.Scope)
	list("Permissions", got.Permissions, want.Permissions)
	list("Roles", got.Roles, want.Roles)
	list("Groups", got.Groups, want.Groups)
	if got.Disabled != want.Disabled {
		diffs = append(diffs, fmt.Sprintf("Disabled = %v; want %v", got.Disabled, want.Disabled))
	}
	return strings.Join(diffs, "; ")
}

// RunClients runs the [store.ClientStore] contract against stores
// made by open, which gets a fresh, empty store for each subtest (closed
// by the suite at the end of it).
func RunClients(t testing.TB, open func(t testing.TB) store.ClientStore) {
	ctx := context.Background()
	fresh := func(t testing.TB) store.ClientStore {
		t.Helper()
		s := open(t)
		t.Cleanup(func() { s.Close() })
		return s
	}
	put := func(t testing.TB, s store.ClientStore, c store.Client) {
		t.Helper()
		if err := s.PutClient(ctx, c); err != nil {
			t.Fatalf("PutClient(%q): %v", c.ID, err)
		}
	}
	get := func(t testing.TB, s store.ClientStore, id string) store.Client {
		t.Helper()
		c, ok, err := s.Client(ctx, id)
		if err != nil || !ok {
			t.Fatalf("Client(%q) = %v, %v; want the client", id, ok, err)
		}
		return c
	}
	ids := func(t testing.TB, s store.ClientStore) []string {
		t.Helper()
		cs, err := s.Clients(ctx)
		if err != nil {
			t.Fatalf("Clients: %v", err)
		}
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}

	run(t, "NotFound", func(t testing.TB) {
		s := fresh(t)
		if c, ok, err := s.Client(ctx, "nobody"); ok || err != nil || c.ID != "" {
			t.Fatalf("Client(unknown) = %+v, %v, %v; want nothing", c, ok, err)
		}
		if got := ids(t, s); len(got) != 0 {
			t.Fatalf("Clients = %q; want none", got)
		}
		if err := s.RemoveClient(ctx, "nobody"); !errors.Is(err, store.ErrClientNotFound) {
			t.Fatalf("RemoveClient(unknown) = %v; want ErrClientNotFound", err)
		}
	})

	run(t, "PutAndGet", func(t testing.TB) {
		s := fresh(t)
		before := time.Now().Add(-time.Minute)
		want := FullClient("reporting-job")
		put(t, s, want)
		got := get(t, s, "reporting-job")
		if d := SameClient(got, want); d != "" {
			t.Fatal(d)
		}
		if got.Created.Before(before) || got.Updated.Before(got.Created) {
			t.Fatalf("Created %v, Updated %v; want both set, Updated ≥ Created", got.Created, got.Updated)
		}
		minimal := store.Client{ID: "minimal", SecretHash: SecretHash}
		put(t, s, minimal)
		m := get(t, s, "minimal")
		if d := SameClient(m, minimal); d != "" {
			t.Fatal(d)
		}
		if m.Sub() != "minimal" {
			t.Fatalf("Sub() = %q; want the id", m.Sub())
		}
	})

	run(t, "ReplaceKeepsCreated", func(t testing.TB) {
		s := fresh(t)
		put(t, s, FullClient("c"))
		first := get(t, s, "c")
		time.Sleep(5 * time.Millisecond)
		next := store.Client{ID: "c", SecretHash: OtherSecretHash, Scope: []string{"read:data"}, Disabled: true}
		put(t, s, next)
		got := get(t, s, "c")
		if d := SameClient(got, next); d != "" {
			t.Fatalf("after replacing: %s", d)
		}
		if !got.Created.Equal(first.Created) {
			t.Fatalf("Created changed from %v to %v", first.Created, got.Created)
		}
		if !got.Updated.After(first.Updated) {
			t.Fatalf("Updated %v not after %v", got.Updated, first.Updated)
		}
		next.Disabled = false
		put(t, s, next)
		if got := get(t, s, "c"); got.Disabled {
			t.Fatal("still disabled after enabling")
		}
	})

	run(t, "ListSorted", func(t testing.TB) {
		s := fresh(t)
		for _, id := range []string{"zeta", "alpha", "Mid", "beta-2", "beta-10", "ünï"} {
			put(t, s, store.Client{ID: id, SecretHash: SecretHash})
		}
		want := []string{"Mid", "alpha", "beta-10", "beta-2", "zeta", "ünï"}
		if got := ids(t, s); !slices.Equal(got, want) {
			t.Fatalf("Clients = %q; want %q", got, want)
		}
	})

	run(t, "Remove", func(t testing.TB) {
		s := fresh(t)
		put(t, s, FullClient("a"))
		put(t, s, FullClient("b"))
		if err := s.RemoveClient(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.Client(ctx, "a"); ok || err != nil {
			t.Fatalf("Client after remove: %v, %v", ok, err)
		}
		if got := ids(t, s); !slices.Equal(got, []string{"b"}) {
			t.Fatalf("Clients = %q; want [b]", got)
		}
		if err := s.RemoveClient(ctx, "a"); !errors.Is(err, store.ErrClientNotFound) {
			t.Fatalf("second remove: %v; want ErrClientNotFound", err)
		}
		if _, ok, _ := s.Client(ctx, "A"); ok {
			t.Fatal("ids must be case-sensitive")
		}
	})

	run(t, "VersionChanges", func(t testing.TB) {
		s := fresh(t)
		v0 := s.ClientsVersion()
		put(t, s, FullClient("a"))
		v1 := s.ClientsVersion()
		if v1 == v0 {
			t.Fatal("ClientsVersion unchanged after PutClient")
		}
		if err := s.RemoveClient(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		v2 := s.ClientsVersion()
		if v2 == v1 {
			t.Fatal("ClientsVersion unchanged after RemoveClient")
		}
		s.PutClient(ctx, store.Client{ID: "a", SecretHash: "plain"})
		s.RemoveClient(ctx, "a")
		if s.ClientsVersion() != v2 {
			t.Fatal("ClientsVersion changed without a write")
		}
	})

	run(t, "PlaintextSecretRefused", func(t testing.TB) {
		s := fresh(t)
		put(t, s, FullClient("kept"))
		v := s.ClientsVersion()
		for _, secret := range []string{"", "hunter2-plaintext", "$2a$10$bcrypthashbcrypthashbcrypthashbcrypthashbcrypthas", "$argon2i$v=19$m=1,t=1,p=1$x$y",
			" " + SecretHash, SecretHash + "\n", "$ARGON2ID$v=19"} {
			for _, id := range []string{"new", "kept"} {
				c := FullClient(id)
				c.SecretHash = secret
				err := s.PutClient(ctx, c)
				if !errors.Is(err, store.ErrSecretNotHashed) {
					t.Fatalf("PutClient(%q, secret %q) = %v; want ErrSecretNotHashed", id, secret, err)
				}
				if secret != "" && strings.Contains(err.Error(), strings.TrimSpace(secret)) {
					t.Fatalf("the error quotes the secret: %v", err)
				}
			}
		}
		if _, ok, _ := s.Client(ctx, "new"); ok {
			t.Fatal("a refused client was stored")
		}
		if got := get(t, s, "kept"); got.SecretHash != SecretHash {
			t.Fatal("a refused write changed the stored hash")
		}
		if s.ClientsVersion() != v {
			t.Fatal("ClientsVersion changed on a refused write")
		}
	})

	run(t, "InvalidClientRefused", func(t testing.TB) {
		s := fresh(t)
		bad := []store.Client{
			{ID: "", SecretHash: SecretHash},
			{ID: "a:b", SecretHash: SecretHash},
			{ID: "nul\x00", SecretHash: SecretHash},
			{ID: " padded", SecretHash: SecretHash},
			{ID: "\xff", SecretHash: SecretHash},
			{ID: "x", SecretHash: SecretHash, Scope: []string{"two words"}},
			{ID: "x", SecretHash: SecretHash, Roles: []string{""}},
			{ID: "x", SecretHash: SecretHash, Groups: []string{"a\x00b"}},
		}
		for _, c := range bad {
			if err := s.PutClient(ctx, c); !errors.Is(err, store.ErrInvalidClient) {
				t.Errorf("PutClient(%+v) = %v; want ErrInvalidClient", c, err)
			}
		}
		if got := ids(t, s); len(got) != 0 {
			t.Fatalf("Clients = %q; want none", got)
		}
	})

	run(t, "DeepCopies", func(t testing.TB) {
		s := fresh(t)
		c := FullClient("c")
		put(t, s, c)
		c.Scope[0] = "mangled"
		c.Audience[0] = "mangled"
		got := get(t, s, "c")
		got.Roles[0] = "mangled"
		got.Permissions = append(got.Permissions[:0], "mangled")
		all, err := s.Clients(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all[0].Groups[0] = "mangled"
		if d := SameClient(get(t, s, "c"), FullClient("c")); d != "" {
			t.Fatalf("the store shares memory with its caller: %s", d)
		}
	})

	run(t, "CancelledContext", func(t testing.TB) {
		s := fresh(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.PutClient(cctx, FullClient("c")); err == nil {
			t.Fatal("PutClient with a cancelled context succeeded")
		}
		if _, ok, _ := s.Client(ctx, "c"); ok {
			t.Fatal("a cancelled write was stored")
		}
	})

	run(t, "ConcurrentWritesLoseNothing", func(t testing.TB) {
		s := fresh(t)
		const workers, each = 6, 8
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					c := FullClient(fmt.Sprintf("w%d-%d", w, i))
					if err := s.PutClient(ctx, c); err != nil {
						errs <- err
						return
					}
					shared := store.Client{ID: "shared", SecretHash: SecretHash, Roles: []string{c.ID}}
					if err := s.PutClient(ctx, shared); err != nil {
						errs <- err
						return
					}
					if _, _, err := s.Client(ctx, "shared"); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := ids(t, s); len(got) != workers*each+1 {
			t.Fatalf("Clients has %d entries; want %d", len(got), workers*each+1)
		}
	})

	run(t, "Closed", func(t testing.TB) {
		s := open(t)
		put(t, s, FullClient("c"))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.PutClient(ctx, FullClient("d")); !errors.Is(err, store.ErrClosed) {
			t.Errorf("PutClient after Close = %v; want ErrClosed", err)
		}
		if err := s.RemoveClient(ctx, "c"); !errors.Is(err, store.ErrClosed) {
			t.Errorf("RemoveClient after Close = %v; want ErrClosed", err)
		}
		if _, _, err := s.Client(ctx, "c"); !errors.Is(err, store.ErrClosed) {
			t.Errorf("Client after Close = %v; want ErrClosed", err)
		}
		if _, err := s.Clients(ctx); !errors.Is(err, store.ErrClosed) {
			t.Errorf("Clients after Close = %v; want ErrClosed", err)
		}
	})
}

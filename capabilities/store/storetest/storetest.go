// Package storetest is the contract that every store of package store
// meets, as reusable test suites: [Run] on one [store.Store], [RunShared]
// on two sharing their data (two processes on one file, two replicas on
// one database), [RunTokens] on a [store.TokenStore] and [RunClients] on a
// [store.ClientStore]. A store of a third party passes them too.
//
// The suites take a [testing.TB]: given a *testing.T, each check is a
// subtest; given anything else (a *testing.B, or a stand-in that an
// Example drives) the checks run one after the other in the caller.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// OddNames are capability names that need quoting in YAML or are otherwise
// easy to mangle; the contract graph defines all of them.
var OddNames = []string{
	"needs: quote", "#hash", "-dash", `"quoted"`, "'single'", "multi\nline", "tab\there",
	"true", "null", "~", "123", "1e3", "[x]", "{y}", "&anchor", "*alias", "!tag", "%pct",
	"@at", "`tick`", "| pipe", "> fold", "  padded  ", "ünïcødé", "emoji 🔑", "back\\slash", "yes", "0o17",
}

// Graph returns the graph the contract runs against: read ⊂ write ⊂
// moderate, a cycle (a ⇄ b), user_management, the [OddNames], and admin.
func Graph(tb testing.TB) *capabilities.Graph {
	tb.Helper()
	m := map[string][]string{
		"read":            nil,
		"write":           {"read"},
		"moderate":        {"write"},
		"a":               {"b"},
		"b":               {"a"},
		"user_management": nil,
	}
	for _, n := range OddNames {
		m[n] = nil
	}
	g, err := capabilities.NewGraph(m, true)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// Run runs the contract against stores made by open, which gets a fresh,
// empty store for each subtest (closed by the suite at the end of it).
func Run(t testing.TB, open func(t testing.TB, g *capabilities.Graph) store.Store) {
	g := Graph(t)
	ctx := context.Background()
	fresh := func(t testing.TB) store.Store {
		t.Helper()
		s := open(t, g)
		t.Cleanup(func() { s.Close() })
		return s
	}
	mustGet := func(t testing.TB, s store.Store, email string) []string {
		t.Helper()
		caps, err := s.Get(ctx, email)
		if err != nil {
			t.Fatalf("Get(%q): %v", email, err)
		}
		return caps
	}
	want := func(t testing.TB, what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("%s = %q (nil: %v); want %q (nil: %v)", what, got, got == nil, want, want == nil)
		}
	}

	run(t, "UnknownUser", func(t testing.TB) {
		s := fresh(t)
		want(t, "Get", mustGet(t, s, "nobody@example.com"), nil)
		users, err := s.List(ctx)
		if err != nil || len(users) != 0 {
			t.Fatalf("List = %v, %v; want empty", users, err)
		}
	})

	run(t, "SetSortsAndDeduplicates", func(t testing.TB) {
		s := fresh(t)
		got, err := s.Set(ctx, "u@example.com", []string{"write", "read", "write"})
		if err != nil {
			t.Fatal(err)
		}
		want(t, "Set", got, []string{"read", "write"})
		want(t, "Get", mustGet(t, s, "u@example.com"), []string{"read", "write"})
		got, err = s.Set(ctx, "u@example.com", []string{"moderate"})
		if err != nil {
			t.Fatal(err)
		}
		want(t, "Set again", got, []string{"moderate"})
	})

	run(t, "EmptyListKeepsUser", func(t testing.TB) {
		s := fresh(t)
		got, err := s.Set(ctx, "u@example.com", nil)
		if err != nil {
			t.Fatal(err)
		}
		want(t, "Set", got, []string{})
		want(t, "Get", mustGet(t, s, "u@example.com"), []string{})
		users, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if caps, ok := users["u@example.com"]; !ok || len(caps) != 0 {
			t.Fatalf("List = %q; want u@example.com with no capability", users)
		}
	})

	run(t, "AddAndRemove", func(t testing.TB) {
		s := fresh(t)
		got, err := s.Add(ctx, "u@example.com", "write")
		if err != nil {
			t.Fatal(err)
		}
		want(t, "Add to a new user", got, []string{"write"})
		if got, err = s.Add(ctx, "u@example.com", "read", "write", "a"); err != nil {
			t.Fatal(err)
		}
		want(t, "Add", got, []string{"a", "read", "write"})
		if got, err = s.Remove(ctx, "u@example.com", "write", "moderate"); err != nil {
			t.Fatal(err)
		}
		want(t, "Remove", got, []string{"a", "read"})
		if got, err = s.Remove(ctx, "u@example.com", "a", "read"); err != nil {
			t.Fatal(err)
		}
		want(t, "Remove all", got, []string{})
		want(t, "Get after removing all", mustGet(t, s, "u@example.com"), []string{})
		if got, err = s.Remove(ctx, "new@example.com", "read"); err != nil {
			t.Fatal(err)
		}
		want(t, "Remove from a new user", got, []string{})
	})

	run(t, "EmailsIgnoreCase", func(t testing.TB) {
		s := fresh(t)
		if _, err := s.Set(ctx, "Alice@Example.COM", []string{"read"}); err != nil {
			t.Fatal(err)
		}
		want(t, "Get lower", mustGet(t, s, "alice@example.com"), []string{"read"})
		if _, err := s.Add(ctx, "ALICE@example.com", "write"); err != nil {
			t.Fatal(err)
		}
		want(t, "Get mixed", mustGet(t, s, "aLiCe@eXaMpLe.cOm"), []string{"read", "write"})
		users, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != 1 || users["alice@example.com"] == nil {
			t.Fatalf("List = %q; want only alice@example.com", users)
		}
	})

	run(t, "EmailsFoldASCIIOnly", func(t testing.TB) {
		// Only ASCII letters fold: a Unicode lookalike of a stored address
		// (one that some case mapping turns into it) is another user, and
		// keeps its bytes.
		s := fresh(t)
		if _, err := s.Set(ctx, "kate@example.com", []string{"write"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Set(ctx, "\uff4b\uff41\uff54\uff45@example.com", []string{"moderate"}); err != nil { // fullwidth kate
			t.Fatal(err)
		}
		lookalikes := []string{
			"\u212Aate@example.com",                // KELVIN SIGN
			"\u212AATE@EXAMPLE.COM",                // the same, ASCII letters in upper case
			"\u0130nes@example.com",                // I WITH DOT ABOVE
			"\u017Fam@example.com",                 // LONG S
			"\uff2b\uff21\uff34\uff25@example.com", // fullwidth KATE
			"kate@example.\u212Aom",
		}
		for _, email := range lookalikes {
			want(t, "Get "+email, mustGet(t, s, email), nil)
		}
		for _, email := range []string{"ines@example.com", "sam@example.com"} {
			if _, err := s.Set(ctx, email, []string{"read"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, email := range lookalikes {
			if _, err := s.Add(ctx, email, "a"); err != nil {
				t.Fatal(err)
			}
		}
		want(t, "Get kate", mustGet(t, s, "KATE@example.com"), []string{"write"})
		want(t, "Get fullwidth kate", mustGet(t, s, "\uff4b\uff41\uff54\uff45@EXAMPLE.com"), []string{"moderate"})
		want(t, "Get ines", mustGet(t, s, "ines@example.com"), []string{"read"})
		want(t, "Get sam", mustGet(t, s, "sam@example.com"), []string{"read"})
		users, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"\u212Aate@example.com", "\u0130nes@example.com", "\u017Fam@example.com", "\uff2b\uff21\uff34\uff25@example.com", "kate@example.\u212Aom"} {
			if !slices.Equal(users[key], []string{"a"}) {
				t.Errorf("List[%q] = %q; want [a] (List: %q)", key, users[key], users)
			}
		}
		if len(users) != 9 {
			t.Errorf("List has %d users; want 9: %q", len(users), users)
		}
	})

	run(t, "UnknownCapabilityWritesNothing", func(t testing.TB) {
		s := fresh(t)
		if _, err := s.Set(ctx, "u@example.com", []string{"read"}); err != nil {
			t.Fatal(err)
		}
		v := s.Version()
		writes := map[string]func() error{
			"Set":    func() error { _, err := s.Set(ctx, "u@example.com", []string{"write", "nope"}); return err },
			"Add":    func() error { _, err := s.Add(ctx, "u@example.com", "nope"); return err },
			"Remove": func() error { _, err := s.Remove(ctx, "u@example.com", "read", "nope"); return err },
			"New":    func() error { _, err := s.Add(ctx, "other@example.com", "nope"); return err },
		}
		for name, w := range writes {
			err := w()
			var u *capabilities.UnknownCapabilityError
			if !errors.As(err, &u) || u.Name != "nope" || !errors.Is(err, capabilities.ErrUnknownCapability) {
				t.Errorf("%s: err = %v; want an UnknownCapabilityError for \"nope\"", name, err)
			}
		}
		want(t, "Get", mustGet(t, s, "u@example.com"), []string{"read"})
		want(t, "Get other", mustGet(t, s, "other@example.com"), nil)
		if s.Version() != v {
			t.Errorf("Version changed from %d to %d without a write", v, s.Version())
		}
	})

	run(t, "BadEmail", func(t testing.TB) {
		s := fresh(t)
		// The rule of capabilities.ParseEmail, which a store applies.
		for _, email := range []string{"", "   ", "\xff@example.com", "nobody", "a@b@example.com", "@example.com", "a@",
			"a@example..com", "a b@example.com", "x: y@example.com", "a\x00@example.com", "a\u00a0@example.com",
			"a\u200b@example.com", `"quoted"@example.com`, "a,b@example.com"} {
			if _, err := s.Set(ctx, email, []string{"read"}); err == nil {
				t.Errorf("Set(%q) succeeded; want an error", email)
			}
		}
		users, err := s.List(ctx)
		if err != nil || len(users) != 0 {
			t.Fatalf("List = %q, %v; want empty", users, err)
		}
	})

	run(t, "OddNamesRoundTrip", func(t testing.TB) {
		s := fresh(t)
		emails := []string{"o'brien+tag@example.com", "'quoted'@example.com", "x:y@example.com", "#@example.com", "-dash@example.com",
			"&a@example.com", "*a@example.com", "!tag@example.com", "?q@example.com", "|p@example.com", "%p@example.com",
			"[x]@example.com", "{y}@example.com", "`t`@example.com", "~@example.com", "null@example.com"}
		for _, email := range emails {
			got, err := s.Set(ctx, email, OddNames)
			if err != nil {
				t.Fatalf("Set(%q): %v", email, err)
			}
			want(t, "Set", got, slices.Sorted(slices.Values(OddNames)))
		}
		for _, email := range emails {
			want(t, fmt.Sprintf("Get(%q)", email), mustGet(t, s, email), slices.Sorted(slices.Values(OddNames)))
		}
	})

	run(t, "VersionChangesOnWrite", func(t testing.TB) {
		s := fresh(t)
		v0 := s.Version()
		if _, err := s.Add(ctx, "u@example.com", "read"); err != nil {
			t.Fatal(err)
		}
		v1 := s.Version()
		if v1 == v0 {
			t.Fatal("Version did not change after Add")
		}
		if _, err := s.Remove(ctx, "u@example.com", "read"); err != nil {
			t.Fatal(err)
		}
		if s.Version() == v1 {
			t.Fatal("Version did not change after Remove")
		}
	})

	run(t, "ResultsBelongToCaller", func(t testing.TB) {
		s := fresh(t)
		got, err := s.Set(ctx, "u@example.com", []string{"read", "write"})
		if err != nil {
			t.Fatal(err)
		}
		got[0] = "mangled"
		again := mustGet(t, s, "u@example.com")
		again[1] = "mangled"
		users, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		users["u@example.com"][0] = "mangled"
		delete(users, "u@example.com")
		want(t, "Get", mustGet(t, s, "u@example.com"), []string{"read", "write"})
	})

	run(t, "CancelledContext", func(t testing.TB) {
		s := fresh(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Add(cctx, "u@example.com", "read"); err == nil {
			t.Error("Add with a cancelled context succeeded")
		}
		if _, err := s.Update(cctx, "u@example.com", func([]string) ([]string, error) { return []string{"read"}, nil }); err == nil {
			t.Error("Update with a cancelled context succeeded")
		}
		want(t, "Get", mustGet(t, s, "u@example.com"), nil)
	})

	run(t, "ConcurrentWritesLoseNothing", func(t testing.TB) {
		s := fresh(t)
		const workers, each = 8, 25
		names := g.Names()
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					email := fmt.Sprintf("w%d-%d@example.com", w, i)
					shared := names[(w*each+i)%len(names)]
					if _, err := s.Add(ctx, email, "read"); err != nil {
						errs <- err
						return
					}
					if _, err := s.Add(ctx, "shared@example.com", shared); err != nil {
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
		users, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != workers*each+1 {
			t.Fatalf("List has %d users; want %d", len(users), workers*each+1)
		}
		if got := len(users["shared@example.com"]); got != min(workers*each, len(names)) {
			t.Fatalf("shared user has %d capabilities; want %d", got, min(workers*each, len(names)))
		}
	})

	runUpdate(t, fresh)
	runAtomic(t, g, func(t testing.TB) (store.Store, store.Store) {
		s := fresh(t)
		return s, s
	})

	run(t, "Close", func(t testing.TB) {
		s := open(t, g)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Add(ctx, "u@example.com", "read"); err == nil {
			t.Error("Add after Close succeeded")
		}
		if _, err := s.Get(ctx, "u@example.com"); err == nil {
			t.Error("Get after Close succeeded")
		}
		if _, err := s.Update(ctx, "u@example.com", func(cur []string) ([]string, error) { return cur, nil }); err == nil {
			t.Error("Update after Close succeeded")
		}
	})
}

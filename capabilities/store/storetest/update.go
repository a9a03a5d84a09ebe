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

// refusal is what the update functions of the contract return to abort:
// a type of its own, so that the suite sees whether the store hands it
// back as it is.
type refusal struct{ reason string }

func (r *refusal) Error() string { return "refused: " + r.reason }

// runUpdate checks the semantics of Update on one store.
func runUpdate(t testing.TB, fresh func(t testing.TB) store.Store) {
	ctx := context.Background()
	want := func(t testing.TB, what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("%s = %q (nil: %v); want %q (nil: %v)", what, got, got == nil, want, want == nil)
		}
	}
	get := func(t testing.TB, s store.Store, email string) []string {
		t.Helper()
		caps, err := s.Get(ctx, email)
		if err != nil {
			t.Fatalf("Get(%q): %v", email, err)
		}
		return caps
	}

	run(t, "UpdateUnknownUser", func(t testing.TB) {
		s := fresh(t)
		v := s.Version()
		var seen []string
		called := false
		got, err := s.Update(ctx, "New@Example.com", func(cur []string) ([]string, error) {
			called, seen = true, cur
			return cur, nil
		})
		if err != nil || !called {
			t.Fatalf("Update = %v (fn called: %v)", err, called)
		}
		want(t, "fn's current", seen, nil)
		want(t, "Update returning nil", got, nil)
		want(t, "Get", get(t, s, "new@example.com"), nil)
		if users, err := s.List(ctx); err != nil || len(users) != 0 {
			t.Fatalf("List = %q, %v; want empty", users, err)
		}
		if s.Version() != v {
			t.Errorf("Version changed from %d to %d without a write", v, s.Version())
		}
		got, err = s.Update(ctx, "new@example.com", func([]string) ([]string, error) { return []string{}, nil })
		if err != nil {
			t.Fatal(err)
		}
		want(t, "Update returning an empty list", got, []string{})
		want(t, "Get", get(t, s, "NEW@example.com"), []string{})
	})

	run(t, "UpdateSeesAndSortsLists", func(t testing.TB) {
		s := fresh(t)
		if _, err := s.Set(ctx, "u@example.com", []string{"write", "read"}); err != nil {
			t.Fatal(err)
		}
		var seen []string
		got, err := s.Update(ctx, "U@example.com", func(cur []string) ([]string, error) {
			seen = slices.Clone(cur)
			return append(cur, "moderate", "a", "read"), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want(t, "fn's current", seen, []string{"read", "write"})
		want(t, "Update", got, []string{"a", "moderate", "read", "write"})
		want(t, "Get", get(t, s, "u@example.com"), []string{"a", "moderate", "read", "write"})
		got, err = s.Update(ctx, "u@example.com", func([]string) ([]string, error) { return nil, nil })
		if err != nil {
			t.Fatal(err)
		}
		want(t, "Update of a stored user returning nil", got, []string{})
		want(t, "Get", get(t, s, "u@example.com"), []string{})
	})

	run(t, "UpdateUnchangedWritesNothing", func(t testing.TB) {
		s := fresh(t)
		if _, err := s.Set(ctx, "u@example.com", []string{"read", "write"}); err != nil {
			t.Fatal(err)
		}
		v := s.Version()
		got, err := s.Update(ctx, "u@example.com", func(cur []string) ([]string, error) { return cur, nil })
		if err != nil {
			t.Fatal(err)
		}
		want(t, "Update", got, []string{"read", "write"})
		if s.Version() != v {
			t.Errorf("Version changed from %d to %d without a change", v, s.Version())
		}
	})

	run(t, "UpdateErrorWritesNothing", func(t testing.TB) {
		s := fresh(t)
		if _, err := s.Set(ctx, "u@example.com", []string{"read", "write"}); err != nil {
			t.Fatal(err)
		}
		v := s.Version()
		no := &refusal{"no"}
		_, err := s.Update(ctx, "u@example.com", func(cur []string) ([]string, error) {
			cur[0] = "moderate" // fn owns its argument; the store must not care
			return cur, no
		})
		if err != no {
			t.Errorf("Update = %v (%T); want fn's error as it is", err, err)
		}
		_, err = s.Update(ctx, "other@example.com", func([]string) ([]string, error) { return []string{"read"}, no })
		if err != no {
			t.Errorf("Update of a new user = %v; want fn's error as it is", err)
		}
		_, err = s.Update(ctx, "u@example.com", func([]string) ([]string, error) { return []string{"read", "nope"}, nil })
		var u *capabilities.UnknownCapabilityError
		if !errors.As(err, &u) || u.Name != "nope" {
			t.Errorf("Update with an unknown name = %v; want an UnknownCapabilityError for \"nope\"", err)
		}
		for _, email := range []string{"", "  ", "\xff@example.com"} {
			if _, err := s.Update(ctx, email, func([]string) ([]string, error) { return []string{"read"}, nil }); err == nil {
				t.Errorf("Update(%q) succeeded; want an error", email)
			}
		}
		want(t, "Get", get(t, s, "u@example.com"), []string{"read", "write"})
		want(t, "Get other", get(t, s, "other@example.com"), nil)
		if s.Version() != v {
			t.Errorf("Version changed from %d to %d without a write", v, s.Version())
		}
	})

	run(t, "UpdateErrorFailsOnlyItsOwn", func(t testing.TB) {
		// Concurrent updates may be committed together; one that fails
		// must not take the others with it.
		s := fresh(t)
		const n = 16
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Update(ctx, fmt.Sprintf("u%d@example.com", i), func([]string) ([]string, error) {
					if i%2 == 1 {
						return nil, &refusal{"odd"}
					}
					return []string{"read"}, nil
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			email := fmt.Sprintf("u%d@example.com", i)
			if i%2 == 1 {
				if _, ok := err.(*refusal); !ok {
					t.Errorf("%s: %v; want the refusal", email, err)
				}
				want(t, "Get "+email, get(t, s, email), nil)
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", email, err)
			}
			want(t, "Get "+email, get(t, s, email), []string{"read"})
		}
	})
}

// RunShared runs the contract's concurrency checks against two stores
// made by open on the same data: two processes sharing a user file, two
// replicas on one database. A change through either is atomic with
// respect to changes through the other. Both stores are closed by the
// suite.
func RunShared(t testing.TB, open func(t testing.TB, g *capabilities.Graph) (store.Store, store.Store)) {
	g := Graph(t)
	runAtomic(t, g, func(t testing.TB) (store.Store, store.Store) {
		t.Helper()
		a, b := open(t, g)
		t.Cleanup(func() {
			a.Close()
			b.Close()
		})
		return a, b
	})
}

// runAtomic checks that Update is one atomic step, on stores a and b of
// the same data (possibly the same store twice).
func runAtomic(t testing.TB, g *capabilities.Graph, pair func(t testing.TB) (a, b store.Store)) {
	ctx := context.Background()

	run(t, "UpdateIncrementsLoseNothing", func(t testing.TB) {
		// Each update adds the next name of a fixed order to the list: a
		// counter kept as the list's length. An update computed from a
		// stale list adds a name already there, and the count falls short.
		a, b := pair(t)
		order := g.Names()
		const workers = 5
		each := len(order) / workers
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			s := a
			if w%2 == 1 {
				s = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					_, err := s.Update(ctx, "counter@example.com", func(cur []string) ([]string, error) {
						if len(cur) >= len(order) {
							return nil, &refusal{"count overflows"}
						}
						return append(cur, order[len(cur)]), nil
					})
					if err != nil {
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
		for _, s := range []store.Store{a, b} {
			got, err := s.Update(ctx, "counter@example.com", func(cur []string) ([]string, error) { return cur, nil })
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != workers*each {
				t.Fatalf("after %d increments the count is %d: updates were lost", workers*each, len(got))
			}
		}
	})

	run(t, "CheckedSetNeverResurrects", func(t testing.TB) {
		// A manager without admin replaces the list of a user holding
		// admin, keeping it (which needs admin unchanged), while admin is
		// removed. Either the set comes first and the removal then takes
		// admin away, or the removal comes first and the set, which would
		// then grant admin, is refused. Admin never survives.
		a, b := pair(t)
		const rounds = 20
		for i := range rounds {
			email := fmt.Sprintf("target%d@example.com", i)
			if _, err := a.Set(ctx, email, []string{"admin"}); err != nil {
				t.Fatal(err)
			}
			start := make(chan struct{})
			var wg sync.WaitGroup
			var setErr, removeErr error
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				_, setErr = b.Update(ctx, email, func(cur []string) ([]string, error) {
					if !slices.Contains(cur, "admin") {
						return nil, &refusal{"granting admin needs admin"}
					}
					return []string{"admin", "write"}, nil
				})
			}()
			go func() {
				defer wg.Done()
				<-start
				_, removeErr = a.Remove(ctx, email, "admin")
			}()
			close(start)
			wg.Wait()
			if removeErr != nil {
				t.Fatal(removeErr)
			}
			if _, ok := setErr.(*refusal); setErr != nil && !ok {
				t.Fatal(setErr)
			}
			for _, s := range []store.Store{a, b} {
				got, err := s.Update(ctx, email, func(cur []string) ([]string, error) { return cur, nil })
				if err != nil {
					t.Fatal(err)
				}
				want := []string{"write"}
				if setErr != nil {
					want = []string{}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("round %d: %q after the set (err %v) and the removal; want %q", i, got, setErr, want)
				}
			}
		}
	})
}

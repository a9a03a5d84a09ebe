package storetest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

// countingStore is a store written outside this module: a memory store
// that counts the writes it is asked for. In its own tests, a store's
// author calls storetest.Run(t, open) with the test's *testing.T.
type countingStore struct {
	*memstore.Store
	writes *atomic.Int64
}

func (s countingStore) Set(ctx context.Context, email string, caps []string) ([]string, error) {
	s.writes.Add(1)
	return s.Store.Set(ctx, email, caps)
}

func (s countingStore) Add(ctx context.Context, email string, caps ...string) ([]string, error) {
	s.writes.Add(1)
	return s.Store.Add(ctx, email, caps...)
}

func (s countingStore) Remove(ctx context.Context, email string, caps ...string) ([]string, error) {
	s.writes.Add(1)
	return s.Store.Remove(ctx, email, caps...)
}

func (s countingStore) Update(ctx context.Context, email string, fn func([]string) ([]string, error)) ([]string, error) {
	s.writes.Add(1)
	return s.Store.Update(ctx, email, fn)
}

// The conformance suite run on a third party's store.
func Example() {
	t := &exampleTB{}
	var writes atomic.Int64
	storetest.Run(t, func(t testing.TB, g *capabilities.Graph) store.Store {
		return countingStore{Store: memstore.New(g), writes: &writes}
	})
	t.finish()
	if !t.failed {
		fmt.Println("contract met")
	}
	fmt.Println("writes asked for:", writes.Load())
	// Output:
	// contract met
	// writes asked for: 630
}

// exampleTB stands for the *testing.T of a test in the example, which
// runs outside any test: it prints failures and runs the cleanups at the
// end.
type exampleTB struct {
	testing.TB
	failed   bool
	cleanups []func()
}

func (e *exampleTB) Helper()          {}
func (e *exampleTB) Cleanup(f func()) { e.cleanups = append(e.cleanups, f) }
func (e *exampleTB) Error(args ...any) {
	e.failed = true
	fmt.Println(append([]any{"error:"}, args...)...)
}
func (e *exampleTB) Errorf(f string, args ...any) {
	e.failed = true
	fmt.Printf("error: "+f+"\n", args...)
}
func (e *exampleTB) Fatal(args ...any)            { panic(fmt.Sprint(args...)) }
func (e *exampleTB) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

func (e *exampleTB) finish() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

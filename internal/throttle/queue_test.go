package throttle

import (
	"context"
	"errors"
	"testing"
	"time"
)

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestQueue(t *testing.T) {
	t.Parallel()
	q := NewQueue(1, 1)
	ctx := context.Background()
	if err := q.Enter(ctx); err != nil {
		t.Fatal(err)
	}
	entered := make(chan error, 1)
	go func() { entered <- q.Enter(ctx) }()
	waitFor(t, "a waiter", func() bool { return q.Waiting() == 1 })
	if err := q.Enter(ctx); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third caller: %v; want ErrQueueFull", err)
	}
	q.Leave()
	if err := <-entered; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	if q.Waiting() != 0 {
		t.Errorf("Waiting %d", q.Waiting())
	}

	// A waiter whose context ends gives up and frees its place.
	cctx, cancel := context.WithCancel(ctx)
	go func() { entered <- q.Enter(cctx) }()
	waitFor(t, "a waiter", func() bool { return q.Waiting() == 1 })
	cancel()
	if err := <-entered; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	if q.Waiting() != 0 {
		t.Errorf("Waiting %d after cancel", q.Waiting())
	}
	q.Leave()
	if err := q.Enter(ctx); err != nil {
		t.Fatalf("after Leave: %v", err)
	}
	q.Leave()
}

func TestQueueWithoutWaitingRoom(t *testing.T) {
	t.Parallel()
	q := NewQueue(2, 0)
	ctx := context.Background()
	for range 2 {
		if err := q.Enter(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Enter(ctx); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("%v; want ErrQueueFull", err)
	}
	if q.Slots() != 2 {
		t.Errorf("Slots %d", q.Slots())
	}
}

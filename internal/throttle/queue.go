package throttle

import (
	"context"
	"errors"
	"sync/atomic"
)

// ErrQueueFull is returned by [Queue.Enter] when as many callers as the
// queue allows are already waiting.
var ErrQueueFull = errors.New("throttle: queue full")

// Queue lets a few callers do an expensive step at once and a bounded
// number more wait for their turn; a caller beyond those is refused at
// once, so that a flood gets a quick answer instead of piling up
// goroutines and latency. It is safe for concurrent use.
type Queue struct {
	slots   chan struct{}
	waiting atomic.Int64
	maxWait int64
}

// NewQueue returns a Queue of n slots (at least 1) and room for waiting
// callers (at least 0).
func NewQueue(n, waiting int) *Queue {
	return &Queue{slots: make(chan struct{}, max(n, 1)), maxWait: int64(max(waiting, 0))}
}

// Enter returns nil once the caller holds a slot, which it must give back
// with [Queue.Leave]. It returns [ErrQueueFull] at once when the queue is
// full, or ctx's error if ctx ends while waiting.
func (q *Queue) Enter(ctx context.Context) error {
	select {
	case q.slots <- struct{}{}:
		return nil
	default:
	}
	if q.waiting.Add(1) > q.maxWait {
		q.waiting.Add(-1)
		return ErrQueueFull
	}
	defer q.waiting.Add(-1)
	select {
	case q.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Leave gives back a slot taken by Enter.
func (q *Queue) Leave() { <-q.slots }

// Waiting returns how many callers wait for a slot.
func (q *Queue) Waiting() int { return int(q.waiting.Load()) }

// Slots returns how many callers may hold a slot at once.
func (q *Queue) Slots() int { return cap(q.slots) }

// Package throttle bounds the work that unauthenticated callers can cause:
// a [Limiter] counts events (failed authentications, login starts) per key
// over a sliding window, and a [Queue] bounds how many callers wait for an
// expensive step. Both take constant time per call, keep bounded memory
// and start no goroutine.
package throttle

import (
	"math"
	"sync"
	"time"
)

// A window is cut into slots: events are counted per slot, so a key costs
// the same memory whatever the limit, and an event is remembered for at
// least the window and at most a twelfth longer.
const (
	slotsPerWindow = 12
	ringLen        = slotsPerWindow + 1
)

// Limiter counts events per key over a sliding window. A key that has had
// limit events within the window must wait ([Limiter.Wait]) until enough
// of them are older than the window. It holds at most capacity keys: to
// make room it forgets the key touched least recently, so a caller with
// many keys (addresses) can only lose the counts of the quietest ones.
// It is safe for concurrent use; the caller passes the time, so any clock
// works.
type Limiter[K comparable] struct {
	limit    uint32
	slot     int64 // nanoseconds
	capacity int

	mu      sync.Mutex
	entries map[K]*entry[K]
	recent  entry[K] // sentinel of the recency list: recent.next is the newest
}

type entry[K comparable] struct {
	key        K
	counts     [ringLen]uint32
	last       int64 // slot number of the newest count
	total      uint32
	prev, next *entry[K]
}

// NewLimiter returns a Limiter of limit events per window for at most
// capacity keys. limit, window and capacity must be positive.
func NewLimiter[K comparable](limit int, window time.Duration, capacity int) *Limiter[K] {
	if limit <= 0 || window <= 0 || capacity <= 0 {
		panic("throttle: NewLimiter: limit, window and capacity must be positive")
	}
	l := &Limiter[K]{
		limit:    uint32(min(limit, math.MaxInt32)),
		slot:     max(int64(window)/slotsPerWindow, 1),
		capacity: capacity,
		entries:  make(map[K]*entry[K]),
	}
	l.recent.prev, l.recent.next = &l.recent, &l.recent
	return l
}

// Wait returns 0 when key may go on at now, else how long until it may.
// It counts nothing.
func (l *Limiter[K]) Wait(key K, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.lookup(key, now)
	if e == nil {
		return 0
	}
	return l.wait(e, now)
}

// Add counts one event of key at now, whether or not key must wait.
func (l *Limiter[K]) Add(key K, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.add(key, now)
}

// Take counts one event of key at now and returns 0, unless key must
// wait: then it counts nothing and returns how long.
func (l *Limiter[K]) Take(key K, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.lookup(key, now); e != nil {
		if d := l.wait(e, now); d > 0 {
			return d
		}
	}
	l.add(key, now)
	return 0
}

// Reset forgets key's events.
func (l *Limiter[K]) Reset(key K) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.entries[key]; ok {
		l.remove(e)
	}
}

// Len returns how many keys have events counted.
func (l *Limiter[K]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// lookup returns key's entry moved to the newest position and advanced to
// now, or nil when key has no events in the window (its entry, if any, is
// dropped).
func (l *Limiter[K]) lookup(key K, now time.Time) *entry[K] {
	e, ok := l.entries[key]
	if !ok {
		return nil
	}
	if l.advance(e, now); e.total == 0 {
		l.remove(e)
		return nil
	}
	l.unlink(e)
	l.pushFront(e)
	return e
}

func (l *Limiter[K]) add(key K, now time.Time) {
	e := l.lookup(key, now)
	if e == nil {
		e = l.insert(key, now)
	}
	i := ringIndex(e.last)
	if e.counts[i] < ^uint32(0) {
		e.counts[i]++
		e.total++
	}
}

// insert makes an empty entry for key, first dropping the oldest entry if
// its events have all expired (so that an idle table empties over time),
// then, when full, the least recently touched one.
func (l *Limiter[K]) insert(key K, now time.Time) *entry[K] {
	if old := l.recent.prev; old != &l.recent && l.slotOf(now)-old.last >= ringLen {
		l.remove(old)
	}
	var e *entry[K]
	if len(l.entries) >= l.capacity {
		e = l.recent.prev
		l.remove(e)
		*e = entry[K]{}
	} else {
		e = new(entry[K])
	}
	e.key, e.last = key, l.slotOf(now)
	l.entries[key] = e
	l.pushFront(e)
	return e
}

// advance moves e's ring to now, clearing the slots that left the window.
// A clock that went back counts in the newest slot.
func (l *Limiter[K]) advance(e *entry[K], now time.Time) {
	s := l.slotOf(now)
	if s <= e.last {
		return
	}
	if s-e.last >= ringLen {
		e.counts, e.total = [ringLen]uint32{}, 0
	} else {
		for n := e.last + 1; n <= s; n++ {
			i := ringIndex(n)
			e.total -= e.counts[i]
			e.counts[i] = 0
		}
	}
	e.last = s
}

// wait returns how long until e has fewer than limit events in the
// window: until the oldest slots that must go have left it.
func (l *Limiter[K]) wait(e *entry[K], now time.Time) time.Duration {
	if e.total < l.limit {
		return 0
	}
	left := e.total
	for n := e.last - ringLen + 1; n <= e.last; n++ {
		left -= e.counts[ringIndex(n)]
		if left < l.limit {
			d := time.Duration((n+ringLen)*l.slot - now.UnixNano())
			return max(d, time.Nanosecond)
		}
	}
	return time.Duration(ringLen * l.slot) // unreachable: left reaches 0
}

func (l *Limiter[K]) slotOf(now time.Time) int64 {
	n := now.UnixNano()
	s := n / l.slot
	if n < 0 && n%l.slot != 0 {
		s-- // floor, for clocks before 1970
	}
	return s
}

func ringIndex(slot int64) int {
	i := slot % ringLen
	if i < 0 {
		i += ringLen
	}
	return int(i)
}

func (l *Limiter[K]) remove(e *entry[K]) {
	l.unlink(e)
	delete(l.entries, e.key)
}

func (l *Limiter[K]) unlink(e *entry[K]) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (l *Limiter[K]) pushFront(e *entry[K]) {
	e.prev, e.next = &l.recent, l.recent.next
	l.recent.next.prev = e
	l.recent.next = e
}

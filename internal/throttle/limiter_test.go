package throttle

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func TestLimiterCountsWithinTheWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		offset []time.Duration // when each of the 3 events happens
		at     time.Duration   // when the 4th is asked for
		wait   bool
	}{
		{"three at once", []time.Duration{0, 0, 0}, 0, true},
		{"spread over 59s", []time.Duration{0, 30 * time.Second, 59 * time.Second}, 59 * time.Second, true},
		{"the first just a minute old", []time.Duration{0, 30 * time.Second, 59 * time.Second}, 60 * time.Second, true},
		{"the first more than a window and a twelfth old", []time.Duration{0, 30 * time.Second, 59 * time.Second}, 65 * time.Second, false},
		{"two only", []time.Duration{0, 0}, 0, false},
		{"all long gone", []time.Duration{0, 0, 0}, time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLimiter[string](3, time.Minute, 10)
			for _, o := range tc.offset {
				l.Add("k", t0.Add(o))
			}
			d := l.Wait("k", t0.Add(tc.at))
			if (d > 0) != tc.wait {
				t.Fatalf("Wait = %v; want waiting %v", d, tc.wait)
			}
			if d > 0 {
				if d > 65*time.Second {
					t.Errorf("Wait = %v; longer than the window and a slot", d)
				}
				if l.Wait("k", t0.Add(tc.at+d-time.Nanosecond)) == 0 {
					t.Errorf("free a nanosecond before the %v it said", d)
				}
				if l.Wait("k", t0.Add(tc.at+d)) != 0 {
					t.Errorf("still waiting after the %v it said", d)
				}
			}
			if l.Wait("other", t0.Add(tc.at)) != 0 {
				t.Error("another key waits")
			}
		})
	}
}

func TestLimiterTakeResetAndOvershoot(t *testing.T) {
	t.Parallel()
	l := NewLimiter[int](2, time.Minute, 10)
	for i := range 2 {
		if d := l.Take(1, t0); d != 0 {
			t.Fatalf("take %d: %v", i, d)
		}
	}
	if l.Take(1, t0) == 0 {
		t.Fatal("third take allowed")
	}
	l.Reset(1)
	if l.Take(1, t0) != 0 || l.Len() != 1 {
		t.Fatalf("after Reset: Len %d", l.Len())
	}
	// Add counts past the limit (events already under way); the wait is
	// until enough have left: here all but one.
	for range 5 {
		l.Add(2, t0)
	}
	l.Add(2, t0.Add(30*time.Second))
	d := l.Wait(2, t0.Add(30*time.Second))
	if d <= 30*time.Second || d > 35*time.Second {
		t.Errorf("Wait after overshoot = %v; want until the first five leave (30s to 35s)", d)
	}
}

func TestLimiterClockOddities(t *testing.T) {
	t.Parallel()
	l := NewLimiter[string](2, time.Minute, 10)
	l.Add("k", t0)
	l.Add("k", t0.Add(-time.Hour)) // the clock went back: counts now
	if l.Wait("k", t0) == 0 {
		t.Error("an event from a clock that went back is lost")
	}
	old := time.Date(1960, 1, 1, 0, 0, 0, 1, time.UTC)
	l.Add("x", old)
	l.Add("x", old)
	if d := l.Wait("x", old); d <= 0 || d > 65*time.Second {
		t.Errorf("before 1970: Wait = %v", d)
	}
}

// TestLimiterBoundedMemory: many keys never hold more than the capacity;
// the least recently touched key is the one forgotten, and keys whose
// events expired go first.
func TestLimiterBoundedMemory(t *testing.T) {
	t.Parallel()
	l := NewLimiter[string](1, time.Minute, 4)
	l.Add("hot", t0)
	for i := range 1000 {
		l.Add(fmt.Sprint("k", i), t0)
		if l.Wait("hot", t0) == 0 { // touching keeps it
			t.Fatalf("after %d keys the touched key was forgotten", i)
		}
		if n := l.Len(); n > 4 {
			t.Fatalf("%d keys held; capacity 4", n)
		}
	}
	// An hour later the next key takes the place of an expired one and
	// the lookups drop expired keys.
	later := t0.Add(time.Hour)
	l.Add("new", later)
	if n := l.Len(); n != 4 {
		t.Errorf("Len %d", n)
	}
	for _, k := range []string{"hot", "k999", "k998"} {
		if l.Wait(k, later) != 0 {
			t.Errorf("%s still counted an hour later", k)
		}
	}
	if n := l.Len(); n != 1 {
		t.Errorf("Len %d after expired keys were looked up; want 1", n)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	l := NewLimiter[int](50, time.Minute, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if l.Take(i%4, t0) == 0 {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
				l.Add(100+g, t0)
				l.Wait(100+g, t0)
			}
		}()
	}
	wg.Wait()
	if allowed != 4*50 {
		t.Errorf("%d takes allowed; want 4 keys × 50", allowed)
	}
}

func BenchmarkLimiterFullTable(b *testing.B) {
	l := NewLimiter[int](10, time.Minute, 10000)
	now := t0
	i := 0
	for b.Loop() {
		i++
		l.Take(i%20000, now)
	}
}

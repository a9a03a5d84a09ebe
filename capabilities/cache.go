package capabilities

import (
	"context"
	"sync"
	"sync/atomic"
)

// DefaultCacheEntries is the size of an [EffectiveCache] when none is given.
const DefaultCacheEntries = 65536

// Source is what an [EffectiveCache] reads the stored capabilities from:
// a capability store (package store's Store satisfies it).
type Source interface {
	// Get returns the stored capabilities of email (nil for an unknown
	// user).
	Get(ctx context.Context, email string) ([]string, error)
	// Version changes whenever the stored data may have changed.
	Version() uint64
}

// EffectiveCache memoizes [Policy.Effective] for the users of one
// [Source]: the path a request takes to learn what its user holds. Every
// entry is dropped as soon as [Source.Version] changes, so a revocation is
// seen by the next lookup after the store notices it. Safe for concurrent
// use.
type EffectiveCache struct {
	policy *Policy
	store  Source
	limit  int
	gen    atomic.Pointer[cacheGen]
}

// cacheGen holds the entries computed while the store had one version.
type cacheGen struct {
	version uint64
	mu      sync.RWMutex
	sets    map[string]Set
}

// NewEffectiveCache returns a cache of at most maxEntries users (when full,
// it starts over); maxEntries <= 0 means [DefaultCacheEntries].
func NewEffectiveCache(p *Policy, s Source, maxEntries int) *EffectiveCache {
	if maxEntries <= 0 {
		maxEntries = DefaultCacheEntries
	}
	c := &EffectiveCache{policy: p, store: s, limit: maxEntries}
	c.gen.Store(&cacheGen{version: s.Version(), sets: make(map[string]Set)})
	return c
}

// Effective returns the closed set held by the logged-in user email, from
// the cache or else from the store.
func (c *EffectiveCache) Effective(ctx context.Context, email string) (Set, error) {
	key := NormalizeEmail(email)
	v := c.store.Version()
	g := c.gen.Load()
	if g.version == v {
		g.mu.RLock()
		s, ok := g.sets[key]
		g.mu.RUnlock()
		if ok {
			return s, nil
		}
	}
	stored, err := c.store.Get(ctx, key)
	if err != nil {
		return Set{}, err
	}
	s, err := c.policy.Effective(key, stored)
	if err != nil {
		return Set{}, err
	}
	// The data read is at least as new as v: keep it under v.
	if g.version != v {
		fresh := &cacheGen{version: v, sets: make(map[string]Set)}
		if !c.gen.CompareAndSwap(g, fresh) {
			return s, nil // another lookup moved on; let it fill the cache
		}
		g = fresh
	}
	g.mu.Lock()
	if len(g.sets) >= c.limit {
		clear(g.sets)
	}
	g.sets[key] = s
	g.mu.Unlock()
	return s, nil
}

package pgstore

import "sync"

// userCache holds the stored capabilities of the users read lately,
// including users that have none (absent). Entries are dropped one by one
// when a notification names them, all at once after a reconnection.
//
// A read that missed may only fill the cache if nothing was invalidated
// while it asked the database (gen unchanged): otherwise it could put back
// a value older than the notification that just dropped it.
type userCache struct {
	mu    sync.RWMutex
	users map[string]cachedUser
	gen   uint64
	limit int
}

// cachedUser is what the database said about one user.
type cachedUser struct {
	caps   []string // sorted; never handed out (callers get a copy)
	stored bool     // false: the user has no row
}

func newUserCache(limit int) *userCache {
	return &userCache{users: make(map[string]cachedUser), limit: limit}
}

func (c *userCache) get(key string) (cachedUser, bool) {
	c.mu.RLock()
	u, ok := c.users[key]
	c.mu.RUnlock()
	return u, ok
}

// generation returns the invalidation counter to pass to fill.
func (c *userCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// fill caches u under key unless an invalidation happened since gen.
func (c *userCache) fill(key string, u cachedUser, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.users) >= c.limit {
		// Drop an eighth, in map order (random enough, and cheaper than
		// keeping an LRU list up to date on every hit).
		n := max(c.limit/8, 1)
		for k := range c.users {
			delete(c.users, k)
			if n--; n == 0 {
				break
			}
		}
	}
	c.users[key] = u
}

func (c *userCache) invalidate(key string) {
	c.mu.Lock()
	delete(c.users, key)
	c.gen++
	c.mu.Unlock()
}

func (c *userCache) clear() {
	c.mu.Lock()
	c.users = make(map[string]cachedUser)
	c.gen++
	c.mu.Unlock()
}

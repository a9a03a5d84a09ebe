package auth

import (
	"strings"
	"sync"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// defaultCacheEntries bounds each credential cache (sessions, bearer
// tokens). Only credentials that verified are cached.
const defaultCacheEntries = 100_000

// credential is what a verified session or token says, kept so that an
// entry can be re-checked without decrypting again.
type credential struct {
	kind      envelope.TokenKind
	subject   string // normalized email or name@service
	id        string // token id, or session id
	issuedAt  time.Time
	expiresAt time.Time
	// snapshot is a service token's capabilities at minting time.
	snapshot capabilities.Set
	// claims are the claims kept from the login (claim_capabilities).
	claims claimValues
}

// credEntry is one verified credential and the identity it gives. Entries
// are immutable; a re-check replaces them.
type credEntry struct {
	id       *Identity
	cred     credential
	storeVer uint64 // capability store version the identity was built at
	tokVer   uint64 // token store version the revocation check was made at
	recheck  *recheckState
}

// fresh reports whether e can be used as it is at now.
// users and tokens are the stores whose versions the entry was built at.
func (e *credEntry) fresh(now time.Time, users store.Store, tokens store.TokenStore) bool {
	return now.Before(e.cred.expiresAt) &&
		e.storeVer == users.Version() && e.tokVer == tokens.Version() &&
		(e.recheck == nil || now.UnixNano() < e.recheck.due.Load())
}

// credCache maps credential strings (cookie values, bearer tokens) to
// entries. When a map is full it starts over: only valid credentials get
// in, so an attacker cannot fill it with garbage.
type credCache struct {
	max      int
	mu       sync.RWMutex
	sessions map[string]*credEntry
	bearers  map[string]*credEntry
}

func newCredCache(max int) *credCache {
	return &credCache{max: max, sessions: map[string]*credEntry{}, bearers: map[string]*credEntry{}}
}

func (c *credCache) table(bearer bool) map[string]*credEntry {
	if bearer {
		return c.bearers
	}
	return c.sessions
}

func (c *credCache) get(bearer bool, key string) *credEntry {
	c.mu.RLock()
	e := c.table(bearer)[key]
	c.mu.RUnlock()
	return e
}

func (c *credCache) put(bearer bool, key string, e *credEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.table(bearer)
	if _, ok := t[key]; !ok && len(t) >= c.max {
		clear(t)
	}
	// The key may point into a request header: keep a copy.
	t[strings.Clone(key)] = e
}

// reset empties the cache, keeping its memory.
func (c *credCache) reset() {
	c.mu.Lock()
	clear(c.sessions)
	clear(c.bearers)
	c.mu.Unlock()
}

func (c *credCache) drop(bearer bool, key string) {
	c.mu.Lock()
	delete(c.table(bearer), key)
	c.mu.Unlock()
}

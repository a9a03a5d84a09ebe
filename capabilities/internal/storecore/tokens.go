package storecore

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/store"
)

// Tokens is a [store.TokenStore] over a [Backend]: every write is a
// [TokenChange] applied to a copy of the state, made last by the backend,
// then installed; Revoked reads the installed state without a lock.
type Tokens struct {
	backend Backend[*TokenState]
	now     func() time.Time
	state   atomic.Pointer[TokenState]
	version atomic.Uint64
	closed  atomic.Bool
}

// NewTokens returns an empty store committing through b (nil: in memory
// only), whose clock (nil: time.Now) decides which entries have expired.
func NewTokens(b Backend[*TokenState], now func() time.Time) *Tokens {
	if b == nil {
		b = new(memory[*TokenState])
	}
	if now == nil {
		now = time.Now
	}
	t := &Tokens{backend: b, now: now}
	t.state.Store(NewTokenState())
	return t
}

// Replace makes s the store's state, as read from its file. The caller
// holds the backend's lock, or is opening the store.
func (t *Tokens) Replace(s *TokenState) {
	t.state.Store(s)
	t.version.Add(1)
}

// Revoke implements [store.TokenStore].
func (t *Tokens) Revoke(ctx context.Context, id string, until time.Time) error {
	if err := CheckTokenID(id); err != nil {
		return err
	}
	return t.apply(ctx, RevokeChange(id, until))
}

// RevokeSubject implements [store.TokenStore].
func (t *Tokens) RevokeSubject(ctx context.Context, subject string, before time.Time) error {
	key, err := SubjectKey(subject)
	if err != nil {
		return err
	}
	return t.apply(ctx, RevokeSubjectChange(key, before))
}

// Revoked implements [store.TokenStore].
func (t *Tokens) Revoked(id, subject string, issuedAt time.Time) bool {
	return t.state.Load().IsRevoked(id, subject, issuedAt)
}

// PutGrant implements [store.TokenStore].
func (t *Tokens) PutGrant(ctx context.Context, id, sealed string, until time.Time) error {
	if err := CheckTokenID(id); err != nil {
		return err
	}
	return t.apply(ctx, PutGrantChange(id, sealed, until))
}

// Grant implements [store.TokenStore].
func (t *Tokens) Grant(ctx context.Context, id string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	if t.closed.Load() {
		return "", false, store.ErrClosed
	}
	g, ok := t.state.Load().Grants[id]
	if !ok || g.Until.Before(t.now()) {
		return "", false, nil
	}
	return g.Sealed, true, nil
}

// Version implements [store.TokenStore].
func (t *Tokens) Version() uint64 { return t.version.Load() }

// Close makes later writes fail with [store.ErrClosed]; a commit under
// way ends first.
func (t *Tokens) Close() {
	t.backend.Lock()
	defer t.backend.Unlock()
	t.closed.Store(true)
}

// apply commits change, applied to a copy of the newest state from which
// the expired entries are dropped.
func (t *Tokens) apply(ctx context.Context, change TokenChange) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t.backend.Lock()
	defer t.backend.Unlock()
	if t.closed.Load() {
		return store.ErrClosed
	}
	end, err := t.backend.Begin()
	if err != nil {
		return err
	}
	defer end()
	next := t.state.Load().Clone()
	next.Prune(t.now())
	change(next)
	if err := t.backend.Commit(next); err != nil {
		return err
	}
	t.Replace(next)
	return nil
}

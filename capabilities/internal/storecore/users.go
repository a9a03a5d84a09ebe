package storecore

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// Delta is the change one commit makes to a user store: the new list of
// each changed user (normalized email → checked list, never nil).
type Delta map[string][]string

// Users is a [store.Store] over a [Backend]: it checks every write,
// answers reads from memory, and turns writes into a [Delta] against the
// current lists, which the backend makes last before it is installed.
//
// Concurrent writes are committed together: the writer that gets the
// backend's lock commits every write queued meanwhile in one [Delta], so
// that a file store pays one durable write for all of them, while each
// writer still returns only once its own write lasts.
type Users struct {
	graph   *capabilities.Graph
	backend Backend[Delta]

	// users changes under the backend's lock; readers take mu instead.
	mu      sync.RWMutex
	users   map[string][]string
	version atomic.Uint64
	closed  atomic.Bool

	queueMu sync.Mutex
	queue   []*pendingWrite // writes waiting for the backend's lock
}

// NewUsers returns an empty store whose names are checked against g,
// committing through b; a nil b keeps everything in memory.
func NewUsers(g *capabilities.Graph, b Backend[Delta]) *Users {
	if b == nil {
		b = new(memory[Delta])
	}
	return &Users{graph: g, backend: b, users: make(map[string][]string)}
}

// Replace makes users (normalized emails, checked lists) the store's
// data, as read from its file. The caller holds the backend's lock, or is
// opening the store.
func (u *Users) Replace(users map[string][]string) {
	u.mu.Lock()
	u.users = users
	u.mu.Unlock()
	u.version.Add(1)
}

// Get implements [store.Store].
func (u *Users) Get(ctx context.Context, email string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if u.closed.Load() {
		return nil, store.ErrClosed
	}
	key := capabilities.NormalizeEmail(email)
	u.mu.RLock()
	caps, ok := u.users[key]
	u.mu.RUnlock()
	if !ok {
		return nil, nil
	}
	return slices.Clone(caps), nil
}

// List implements [store.Store].
func (u *Users) List(ctx context.Context) (map[string][]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if u.closed.Load() {
		return nil, store.ErrClosed
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make(map[string][]string, len(u.users))
	for k, v := range u.users {
		out[k] = slices.Clone(v)
	}
	return out, nil
}

// Version implements [store.Store]: it changes on every write and every
// Replace.
func (u *Users) Version() uint64 { return u.version.Load() }

// Set implements [store.Store].
func (u *Users) Set(ctx context.Context, email string, caps []string) ([]string, error) {
	return u.write(ctx, email, caps, SetUpdate)
}

// Add implements [store.Store].
func (u *Users) Add(ctx context.Context, email string, caps ...string) ([]string, error) {
	return u.write(ctx, email, caps, AddUpdate)
}

// Remove implements [store.Store].
func (u *Users) Remove(ctx context.Context, email string, caps ...string) ([]string, error) {
	return u.write(ctx, email, caps, RemoveUpdate)
}

// Update implements [store.Store]: fn runs under the backend's lock,
// after Begin, on the lists the store holds then.
func (u *Users) Update(ctx context.Context, email string, fn func(current []string) ([]string, error)) ([]string, error) {
	key, err := Key(email)
	if err != nil {
		return nil, err
	}
	return u.update(ctx, key, fn)
}

// Close makes later calls fail with [store.ErrClosed]; a commit under way
// ends first.
func (u *Users) Close() {
	u.backend.Lock()
	defer u.backend.Unlock()
	u.closed.Store(true)
	u.mu.Lock()
	u.users = nil
	u.mu.Unlock()
}

func (u *Users) write(ctx context.Context, email string, caps []string, mk func([]string) Update) ([]string, error) {
	key, apply, err := Prepare(u.graph, email, caps, mk)
	if err != nil {
		return nil, err
	}
	return u.update(ctx, key, apply)
}

// pendingWrite is one write waiting for a commit. Its result fields are
// set under the backend's lock.
type pendingWrite struct {
	key    string
	apply  Update
	done   bool
	result []string
	err    error
}

func (u *Users) update(ctx context.Context, key string, apply Update) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &pendingWrite{key: key, apply: apply}
	u.queueMu.Lock()
	u.queue = append(u.queue, p)
	u.queueMu.Unlock()
	u.backend.Lock()
	if !p.done {
		u.queueMu.Lock()
		batch := u.queue
		u.queue = nil
		u.queueMu.Unlock()
		u.commit(batch)
	}
	u.backend.Unlock()
	return p.result, p.err
}

// commit applies batch, in order, in one commit, each write to the list
// the ones before it left. A write that fails fails alone; a commit that
// fails fails them all. The caller holds the backend's lock.
func (u *Users) commit(batch []*pendingWrite) {
	finish := func(err error) {
		for _, p := range batch {
			if !p.done {
				p.done, p.err = true, err
				if err != nil {
					p.result = nil
				}
			}
		}
	}
	if u.closed.Load() {
		finish(store.ErrClosed)
		return
	}
	end, err := u.backend.Begin()
	if err != nil {
		finish(err)
		return
	}
	defer end()
	delta := make(Delta, len(batch))
	for _, p := range batch {
		cur, stored := delta[p.key]
		if !stored {
			cur, stored = u.users[p.key]
		}
		next, changed, err := NextList(u.graph, p.key, cur, stored, p.apply)
		if err != nil {
			p.done, p.err = true, err
			continue
		}
		if changed {
			delta[p.key] = next
		}
		p.result = slices.Clone(next)
	}
	if len(delta) > 0 {
		if err := u.backend.Commit(delta); err != nil {
			finish(err)
			return
		}
		u.mu.Lock()
		for k, v := range delta {
			u.users[k] = v
		}
		u.mu.Unlock()
		u.version.Add(1)
	}
	finish(nil)
}

package filestore

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// Store is a [store.Store] kept in a YAML user file (`email: [cap, ...]`,
// compatible with easy-oauth's caps.yaml; see [EncodeUserFile]).
//
// Every write is durable and atomic: the new file is written to a temporary
// file in the same folder, synced, renamed over the old one, and the folder
// is synced, so a crash leaves the old or the new file, never a mix. Writes
// are serialised within the process and, through an flock on the file
// PATH.lock beside it, across processes (on Linux, macOS and the BSDs); each
// write first re-reads the file if its content changed, so no other
// process's update is lost. Concurrent writes in one process are committed
// together (one fsync for all). Emails are written normalized and
// comments in the file are not kept.
//
// Changes made by hand or by other processes are picked up by a poller
// (see [Options.PollInterval]). A hand edit that does not load
// (bad YAML, unknown capability, emails differing only in case) is logged;
// the store keeps its last good state and refuses writes with
// [ErrInvalidUserFile] until the file loads again, so that a write never
// discards the person's edit.
type Store struct {
	graph *capabilities.Graph
	file  watchedFile[*userTable]

	// users, order and lists change under file.writeMu; readers of users
	// take mu instead.
	users map[string][]string
	order []string   // sorted emails
	lists [][]string // lists[i] is users[order[i]], for writing in order

	queueMu sync.Mutex
	queue   []*pendingWrite // updates waiting for file.writeMu

	mu sync.RWMutex // guards users for readers
}

// Open loads the user file at path, checked against g, and starts
// watching it. A missing file is an empty store (the file is created by the
// first write); its folder must exist before the first write. A file that
// does not load is an error naming the file, the line, and the email and
// capability at fault.
func Open(path string, g *capabilities.Graph, opts Options) (*Store, error) {
	s := &Store{graph: g}
	s.file = watchedFile[*userTable]{
		path:        path,
		log:         opts.Logger,
		decode:      func(data []byte) (*userTable, error) { return decodeUsers(data, g, path) },
		install:     s.install,
		invalid:     ErrInvalidUserFile,
		checkFailed: "capabilities: cannot check the user file",
		loadFailed:  "capabilities: the user file does not load; keeping the last good state and refusing writes until it is fixed",
	}
	if err := s.file.open(opts.PollInterval); err != nil {
		return nil, err
	}
	return s, nil
}

// Path returns the user file's path.
func (s *Store) Path() string { return s.file.path }

// install makes t the store's data. The caller holds file.writeMu (or is
// Open).
func (s *Store) install(t *userTable) {
	s.mu.Lock()
	s.users = t.users
	s.mu.Unlock()
	s.order, s.lists = t.order, t.lists
}

// Get implements [store.Store].
func (s *Store) Get(ctx context.Context, email string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.file.closed.Load() {
		return nil, store.ErrClosed
	}
	key := capabilities.NormalizeEmail(email)
	s.mu.RLock()
	caps, ok := s.users[key]
	s.mu.RUnlock()
	if !ok {
		return nil, nil
	}
	return slices.Clone(caps), nil
}

// List implements [store.Store].
func (s *Store) List(ctx context.Context) (map[string][]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.file.closed.Load() {
		return nil, store.ErrClosed
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string][]string, len(s.users))
	for k, v := range s.users {
		out[k] = slices.Clone(v)
	}
	return out, nil
}

// Version implements [store.Store].
func (s *Store) Version() uint64 { return s.file.version.Load() }

// Set implements [store.Store].
func (s *Store) Set(ctx context.Context, email string, caps []string) ([]string, error) {
	return s.write(ctx, email, caps, storecore.SetUpdate)
}

// Add implements [store.Store].
func (s *Store) Add(ctx context.Context, email string, caps ...string) ([]string, error) {
	return s.write(ctx, email, caps, storecore.AddUpdate)
}

// Remove implements [store.Store].
func (s *Store) Remove(ctx context.Context, email string, caps ...string) ([]string, error) {
	return s.write(ctx, email, caps, storecore.RemoveUpdate)
}

// Update implements [store.Store]. fn runs under the store's locks, in this
// process and across processes, on the file as it is on disk then.
func (s *Store) Update(ctx context.Context, email string, fn func(current []string) ([]string, error)) ([]string, error) {
	key, err := storecore.Key(email)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, key, fn)
}

func (s *Store) write(ctx context.Context, email string, caps []string, mk func([]string) storecore.Update) ([]string, error) {
	key, apply, err := storecore.Prepare(s.graph, email, caps, mk)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, key, apply)
}

func (s *Store) update(ctx context.Context, key string, apply storecore.Update) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Group commit: the writer that gets writeMu commits every update queued
	// meanwhile in one durable write, so concurrent writers share the cost
	// of the fsyncs while each still returns only once its update is on disk.
	p := &pendingWrite{key: key, apply: apply}
	s.queueMu.Lock()
	s.queue = append(s.queue, p)
	s.queueMu.Unlock()
	s.file.writeMu.Lock()
	if !p.done {
		s.queueMu.Lock()
		batch := s.queue
		s.queue = nil
		s.queueMu.Unlock()
		s.commit(batch)
	}
	s.file.writeMu.Unlock()
	return p.result, p.err
}

// pendingWrite is one update waiting for a commit. Its result fields are
// set under file.writeMu.
type pendingWrite struct {
	key    string
	apply  storecore.Update
	done   bool
	result []string
	err    error
}

// commit applies batch, in order, in one durable write, each update to the
// list the ones before it left. An update that fails fails alone; a write
// that fails fails them all. The caller holds file.writeMu.
func (s *Store) commit(batch []*pendingWrite) {
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
	unlock, err := s.file.beginWrite()
	if err != nil {
		finish(err)
		return
	}
	defer unlock()
	changed := make(map[string][]string, len(batch))
	for _, p := range batch {
		cur, stored := changed[p.key]
		if !stored {
			cur, stored = s.users[p.key]
		}
		next, diff, err := storecore.NextList(s.graph, p.key, cur, stored, p.apply)
		if err != nil {
			p.done, p.err = true, err
			continue
		}
		if diff {
			changed[p.key] = next
		}
		p.result = slices.Clone(next)
	}
	if len(changed) == 0 {
		finish(nil)
		return
	}
	order, lists := s.merge(changed)
	data, err := encodeLists(order, lists, int(s.file.seen.size)+256)
	if err == nil {
		var st fileState
		if st, err = s.file.write(data); err == nil {
			s.order, s.lists = order, lists
			s.mu.Lock()
			for k, v := range changed {
				s.users[k] = v
			}
			s.mu.Unlock()
			s.file.stored(s.file.hash(data, st), st)
			finish(nil)
			return
		}
	}
	finish(err)
}

// merge returns the sorted emails and their lists once changed is applied.
// It walks the sorted users once, without a map lookup per user, since those
// dominate the cost of rewriting a large file.
func (s *Store) merge(changed map[string][]string) ([]string, [][]string) {
	keys := slices.Sorted(maps.Keys(changed))
	order := make([]string, 0, len(s.order)+len(keys))
	lists := make([][]string, 0, len(s.order)+len(keys))
	i := 0
	for j, email := range s.order {
		for i < len(keys) && keys[i] < email {
			order, lists = append(order, keys[i]), append(lists, changed[keys[i]])
			i++
		}
		list := s.lists[j]
		if i < len(keys) && keys[i] == email {
			list = changed[email]
			i++
		}
		order, lists = append(order, email), append(lists, list)
	}
	for ; i < len(keys); i++ {
		order, lists = append(order, keys[i]), append(lists, changed[keys[i]])
	}
	return order, lists
}

// encodeLists returns the file's bytes for users order[i] holding lists[i].
func encodeLists(order []string, lists [][]string, sizeHint int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(sizeHint)
	for i, email := range order {
		if err := writeEntry(&buf, email, lists[i]); err != nil {
			return nil, err
		}
	}
	return finishFile(&buf), nil
}

// Close stops watching the file and releases the lock file. Later calls
// fail with [store.ErrClosed].
func (s *Store) Close() error {
	return s.file.close()
}

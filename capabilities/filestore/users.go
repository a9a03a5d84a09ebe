package filestore

import (
	"bytes"
	"context"
	"maps"
	"slices"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
)

// Store is a [store.Store] kept in a YAML user file (`email: [cap, ...]`,
// compatible with easy-oauth's caps.yaml; see [EncodeUserFile]). It is the
// memory store over the file: the same checks and answers, each write
// made durable in the file before it is seen.
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
	core *storecore.Users
	file *userFile
}

// userFile is the user file as the backend of a [Store]: it writes each
// delta into the file's sorted order and installs what the poller reads.
type userFile struct {
	watchedFile[*userTable]
	core *storecore.Users
	// order and lists are the file's users, sorted, for writing in order;
	// they change under writeMu.
	order []string
	lists [][]string
}

// Open loads the user file at path, checked against g, and starts
// watching it. A missing file is an empty store (the file is created by the
// first write); its folder must exist before the first write. A file that
// does not load is an error naming the file, the line, and the email and
// capability at fault.
func Open(path string, g *capabilities.Graph, opts Options) (*Store, error) {
	f := &userFile{}
	f.core = storecore.NewUsers(g, f)
	f.watchedFile = watchedFile[*userTable]{
		path:        path,
		log:         opts.Logger,
		decode:      func(data []byte) (*userTable, error) { return decodeUsers(data, g, path) },
		install:     f.installTable,
		invalid:     ErrInvalidUserFile,
		checkFailed: "capabilities: cannot check the user file",
		loadFailed:  "capabilities: the user file does not load; keeping the last good state and refusing writes until it is fixed",
	}
	if err := f.open(opts.PollInterval); err != nil {
		return nil, err
	}
	return &Store{core: f.core, file: f}, nil
}

// installTable makes t the store's data. The caller holds writeMu (or is
// Open).
func (f *userFile) installTable(t *userTable) {
	f.order, f.lists = t.order, t.lists
	f.core.Replace(t.users)
}

// Commit writes the file with d applied. It walks the sorted users once,
// without a map lookup per user, since those dominate the cost of
// rewriting a large file.
func (f *userFile) Commit(d storecore.Delta) error {
	order, lists := merge(f.order, f.lists, d)
	data, err := encodeLists(order, lists, int(f.seen.size)+256)
	if err != nil {
		return err
	}
	if err := f.write(data); err != nil {
		return err
	}
	f.order, f.lists = order, lists
	return nil
}

// merge returns the sorted emails and their lists once d is applied to
// the users order[i] holding lists[i].
func merge(order []string, lists [][]string, d storecore.Delta) ([]string, [][]string) {
	keys := slices.Sorted(maps.Keys(d))
	outOrder := make([]string, 0, len(order)+len(keys))
	outLists := make([][]string, 0, len(order)+len(keys))
	i := 0
	for j, email := range order {
		for i < len(keys) && keys[i] < email {
			outOrder, outLists = append(outOrder, keys[i]), append(outLists, d[keys[i]])
			i++
		}
		list := lists[j]
		if i < len(keys) && keys[i] == email {
			list = d[email]
			i++
		}
		outOrder, outLists = append(outOrder, email), append(outLists, list)
	}
	for ; i < len(keys); i++ {
		outOrder, outLists = append(outOrder, keys[i]), append(outLists, d[keys[i]])
	}
	return outOrder, outLists
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

// Path returns the user file's path.
func (s *Store) Path() string { return s.file.path }

// Get implements [store.Store].
func (s *Store) Get(ctx context.Context, email string) ([]string, error) {
	return s.core.Get(ctx, email)
}

// List implements [store.Store].
func (s *Store) List(ctx context.Context) (map[string][]string, error) {
	return s.core.List(ctx)
}

// Version implements [store.Store]: it changes on every write and every
// change of the file seen by the poller.
func (s *Store) Version() uint64 { return s.core.Version() }

// Set implements [store.Store].
func (s *Store) Set(ctx context.Context, email string, caps []string) ([]string, error) {
	return s.core.Set(ctx, email, caps)
}

// Add implements [store.Store].
func (s *Store) Add(ctx context.Context, email string, caps ...string) ([]string, error) {
	return s.core.Add(ctx, email, caps...)
}

// Remove implements [store.Store].
func (s *Store) Remove(ctx context.Context, email string, caps ...string) ([]string, error) {
	return s.core.Remove(ctx, email, caps...)
}

// Update implements [store.Store]. fn runs under the store's locks, in this
// process and across processes, on the file as it is on disk then.
func (s *Store) Update(ctx context.Context, email string, fn func(current []string) ([]string, error)) ([]string, error) {
	return s.core.Update(ctx, email, fn)
}

// Close stops watching the file and releases the lock file. Later calls
// fail with [store.ErrClosed].
func (s *Store) Close() error {
	s.core.Close()
	return s.file.close()
}

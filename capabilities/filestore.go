package capabilities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// FileStoreOptions tunes a [FileStore]. The zero value is ready to use.
type FileStoreOptions struct {
	// Logger receives hand edits that do not load. The default is
	// slog.Default().
	Logger *slog.Logger
	// PollInterval is how often the file is checked for changes made by
	// hand or by other processes. The default is 250ms; a negative value
	// turns polling off (writes still see other processes' changes).
	PollInterval time.Duration
}

// DefaultPollInterval is the [FileStoreOptions.PollInterval] used when none
// is given.
const DefaultPollInterval = 250 * time.Millisecond

// recentWindow is how long after its modification time a file is re-read
// on every poll even when its size and time look unchanged, because file
// system timestamps can be too coarse to tell two quick edits apart.
const recentWindow = 2 * time.Second

// FileStore is a [Store] kept in a YAML user file (`email: [cap, ...]`,
// compatible with easy-oauth's caps.yaml; see [EncodeUserFile]).
//
// Every write is durable and atomic: the new file is written to a temporary
// file in the same folder, synced, renamed over the old one, and the folder
// is synced, so a crash leaves the old or the new file, never a mix. Writes
// are serialised within the process and, through an flock on the file
// PATH.lock beside it, across processes (on Linux, macOS and the BSDs); each
// write first re-reads the file if its content changed, so no other
// process's update is lost. Concurrent writes in one process are committed
// together (one fsync for all). Emails are written lower-cased and
// comments in the file are not kept.
//
// Changes made by hand or by other processes are picked up by a poller
// (see [FileStoreOptions.PollInterval]). A hand edit that does not load
// (bad YAML, unknown capability, emails differing only in case) is logged;
// the store keeps its last good state and refuses writes with
// [ErrInvalidUserFile] until the file loads again, so that a write never
// discards the person's edit.
type FileStore struct {
	path  string
	graph *Graph
	log   *slog.Logger
	seed  maphash.Seed

	// writeMu serialises writes and reloads in this process and guards the
	// fields below it. Readers never take it.
	writeMu  sync.Mutex
	lock     *os.File  // PATH.lock, opened by the first write
	seen     fileState // the file the data came from
	sum      uint64    // hash of that file's bytes
	badSum   uint64    // hash of the last broken content logged
	users    map[string][]string
	order    []string   // sorted emails
	lists    [][]string // lists[i] is users[order[i]], for writing in order
	isClosed bool

	queueMu sync.Mutex
	queue   []*pendingWrite // updates waiting for writeMu

	mu      sync.RWMutex // guards users and order for readers
	version atomic.Uint64
	closed  atomic.Bool
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// fileState identifies one version of the file on disk.
type fileState struct {
	exists   bool
	dev, ino uint64
	size     int64
	mtime    int64 // nanoseconds since 1970
}

func stateOf(fi os.FileInfo) fileState {
	dev, ino := fileID(fi)
	return fileState{exists: true, dev: dev, ino: ino, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

// OpenFileStore loads the user file at path, checked against g, and starts
// watching it. A missing file is an empty store (the file is created by the
// first write); its folder must exist before the first write. A file that
// does not load is an error naming the file, the line, and the email and
// capability at fault.
func OpenFileStore(path string, g *Graph, opts FileStoreOptions) (*FileStore, error) {
	s := &FileStore{path: path, graph: g, log: opts.Logger, seed: maphash.MakeSeed()}
	if s.log == nil {
		s.log = slog.Default()
	}
	data, st, err := readState(path)
	if err != nil {
		return nil, fmt.Errorf("capabilities: %w", err)
	}
	t, err := decodeUsers(data, g, path)
	if err != nil {
		return nil, err
	}
	s.install(t, s.hash(data, st), st)
	poll := opts.PollInterval
	if poll == 0 {
		poll = DefaultPollInterval
	}
	if poll > 0 {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.watch(poll)
	}
	return s, nil
}

// Path returns the user file's path.
func (s *FileStore) Path() string { return s.path }

// readState reads the file and the state of the version read; a missing
// file reads as empty.
func readState(path string) ([]byte, fileState, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fileState{}, nil
	}
	if err != nil {
		return nil, fileState{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileState{}, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fileState{}, fmt.Errorf("%s is not a regular file", path)
	}
	data := make([]byte, 0, fi.Size()+512)
	buf := bytes.NewBuffer(data)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fileState{}, err
	}
	return buf.Bytes(), stateOf(fi), nil
}

func (s *FileStore) hash(data []byte, st fileState) uint64 {
	h := maphash.Bytes(s.seed, data)
	if !st.exists {
		h = ^h // a missing file differs from an empty one
	}
	return h
}

// install makes t the store's data. The caller holds writeMu (or is Open).
func (s *FileStore) install(t *userTable, sum uint64, st fileState) {
	s.mu.Lock()
	s.users = t.users
	s.mu.Unlock()
	s.order, s.lists = t.order, t.lists
	s.sum, s.seen, s.badSum = sum, st, 0
	s.version.Add(1)
}

// watch polls the file until Close.
func (s *FileStore) watch(every time.Duration) {
	defer close(s.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.poll()
		}
	}
}

// poll reloads the file when it changed.
func (s *FileStore) poll() {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.isClosed {
		return
	}
	var st fileState
	fi, err := os.Stat(s.path)
	switch {
	case err == nil:
		st = stateOf(fi)
	case !errors.Is(err, fs.ErrNotExist):
		s.log.Error("capabilities: cannot check the user file", "file", s.path, "err", err)
		return
	}
	if st == s.seen && (!st.exists || time.Since(time.Unix(0, st.mtime)) > recentWindow) {
		return
	}
	sum, err := s.refresh()
	if err != nil && sum != s.badSum {
		s.badSum = sum
		s.log.Error("capabilities: the user file does not load; keeping the last good state and refusing writes until it is fixed",
			"file", s.path, "err", err)
	}
}

// refresh reads the file and installs it when its content changed. It
// returns the hash of what it read. The caller holds writeMu.
func (s *FileStore) refresh() (uint64, error) {
	data, st, err := readState(s.path)
	if err != nil {
		return 0, err
	}
	sum := s.hash(data, st)
	if sum == s.sum {
		s.seen = st
		return sum, nil
	}
	t, err := decodeUsers(data, s.graph, s.path)
	if err != nil {
		return sum, err
	}
	s.install(t, sum, st)
	return sum, nil
}

// Get implements [Store].
func (s *FileStore) Get(ctx context.Context, email string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	key := NormalizeEmail(email)
	s.mu.RLock()
	caps, ok := s.users[key]
	s.mu.RUnlock()
	if !ok {
		return nil, nil
	}
	return slices.Clone(caps), nil
}

// List implements [Store].
func (s *FileStore) List(ctx context.Context) (map[string][]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string][]string, len(s.users))
	for k, v := range s.users {
		out[k] = slices.Clone(v)
	}
	return out, nil
}

// Version implements [Store].
func (s *FileStore) Version() uint64 { return s.version.Load() }

// Set implements [Store].
func (s *FileStore) Set(ctx context.Context, email string, caps []string) ([]string, error) {
	return s.write(ctx, email, caps, setUpdate)
}

// Add implements [Store].
func (s *FileStore) Add(ctx context.Context, email string, caps ...string) ([]string, error) {
	return s.write(ctx, email, caps, addUpdate)
}

// Remove implements [Store].
func (s *FileStore) Remove(ctx context.Context, email string, caps ...string) ([]string, error) {
	return s.write(ctx, email, caps, removeUpdate)
}

func (s *FileStore) write(ctx context.Context, email string, caps []string, mk func([]string) update) ([]string, error) {
	key, apply, err := prepare(s.graph, email, caps, mk)
	if err != nil {
		return nil, err
	}
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
	s.writeMu.Lock()
	if !p.done {
		s.queueMu.Lock()
		batch := s.queue
		s.queue = nil
		s.queueMu.Unlock()
		s.commit(batch)
	}
	s.writeMu.Unlock()
	return p.result, p.err
}

// pendingWrite is one update waiting for a commit. Its result fields are
// set under writeMu.
type pendingWrite struct {
	key    string
	apply  update
	done   bool
	result []string
	err    error
}

// commit applies batch, in order, in one durable write. The caller holds
// writeMu.
func (s *FileStore) commit(batch []*pendingWrite) {
	fail := func(err error) {
		for _, p := range batch {
			p.done, p.err = true, err
		}
	}
	if s.isClosed {
		fail(ErrClosed)
		return
	}
	unlock, err := s.lockFile()
	if err != nil {
		fail(err)
		return
	}
	defer unlock()
	if _, err := s.refresh(); err != nil {
		fail(fmt.Errorf("%w (writes are refused until it is fixed): %w", ErrInvalidUserFile, err))
		return
	}
	changed := make(map[string][]string, len(batch))
	for _, p := range batch {
		cur, exists := changed[p.key]
		if !exists {
			cur, exists = s.users[p.key]
		}
		next := p.apply(cur)
		if next == nil {
			next = []string{}
		}
		if !exists || !slices.Equal(cur, next) {
			changed[p.key] = next
		}
		p.result = slices.Clone(next)
	}
	if len(changed) == 0 {
		fail(nil)
		return
	}
	order, lists := s.merge(changed)
	data, err := encodeLists(order, lists, int(s.seen.size)+256)
	if err == nil {
		var st fileState
		if st, err = s.writeDurable(data); err == nil {
			s.order, s.lists = order, lists
			s.mu.Lock()
			for k, v := range changed {
				s.users[k] = v
			}
			s.mu.Unlock()
			s.sum, s.seen, s.badSum = s.hash(data, st), st, 0
			s.version.Add(1)
			fail(nil)
			return
		}
		err = fmt.Errorf("capabilities: writing %s: %w", s.path, err)
	}
	for _, p := range batch {
		p.result = nil
	}
	fail(err)
}

// merge returns the sorted emails and their lists once changed is applied.
// It walks the sorted users once, without a map lookup per user, since those
// dominate the cost of rewriting a large file.
func (s *FileStore) merge(changed map[string][]string) ([]string, [][]string) {
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

// lockFile takes the cross-process lock, opening PATH.lock on first use
// (and then removing temporary files that crashed writers left). The
// caller holds writeMu.
func (s *FileStore) lockFile() (func(), error) {
	first := s.lock == nil
	if first {
		f, err := os.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("capabilities: opening the lock file: %w", err)
		}
		s.lock = f
	}
	if err := lockFile(s.lock); err != nil {
		return nil, fmt.Errorf("capabilities: locking %s: %w", s.lock.Name(), err)
	}
	if first && crossProcessLock {
		// Under the lock no writer is between creating and renaming its
		// temporary file, so every one left is stale.
		stale, _ := filepath.Glob(s.tempPattern())
		for _, p := range stale {
			os.Remove(p)
		}
	}
	return func() { unlockFile(s.lock) }, nil
}

func (s *FileStore) tempPattern() string {
	return filepath.Join(filepath.Dir(s.path), "."+filepath.Base(s.path)+".tmp-*")
}

// writeDurable replaces the file with data atomically and durably, and
// returns the state of the new file.
func (s *FileStore) writeDurable(data []byte) (fileState, error) {
	dir, base := filepath.Split(s.path)
	if dir == "" {
		dir = "."
	}
	perm := os.FileMode(0o600)
	if fi, err := os.Stat(s.path); err == nil {
		perm = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fileState{}, err
	}
	fi, err := writeSynced(f, data, perm)
	if err == nil {
		err = os.Rename(f.Name(), s.path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fileState{}, err
	}
	if err := syncDir(dir); err != nil {
		return fileState{}, fmt.Errorf("syncing the folder: %w", err)
	}
	return stateOf(fi), nil
}

// writeSynced writes data to f, syncs and closes it.
func writeSynced(f *os.File, data []byte, perm os.FileMode) (os.FileInfo, error) {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	var fi os.FileInfo
	if err == nil {
		fi, err = f.Stat()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return fi, err
}

// Close stops watching the file and releases the lock file. Later calls
// fail with [ErrClosed].
func (s *FileStore) Close() error {
	var err error
	s.once.Do(func() {
		s.closed.Store(true)
		if s.stop != nil {
			close(s.stop)
			<-s.done
		}
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		s.isClosed = true
		if s.lock != nil {
			err = s.lock.Close()
		}
	})
	return err
}

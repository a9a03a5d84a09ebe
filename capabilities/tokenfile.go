package capabilities

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"gopkg.in/yaml.v3"
)

// FileTokenStoreOptions tunes a [FileTokenStore]. The zero value is ready
// to use.
type FileTokenStoreOptions struct {
	// Logger receives files that do not load. The default is
	// slog.Default().
	Logger *slog.Logger
	// PollInterval is how often the file is checked for changes made by
	// other processes. The default is [DefaultPollInterval]; a negative
	// value turns polling off (writes still see other processes' changes).
	PollInterval time.Duration
	// Now is the clock that decides which entries have expired. The
	// default is time.Now.
	Now func() time.Time
}

// FileTokenStore is a [TokenStore] kept in a YAML file, so that
// revocations survive restarts and are shared by the processes that use
// the same file. It is written like a [FileStore]: atomically and durably
// (temporary file, sync, rename, folder sync), serialised by a mutex and
// an flock on PATH.lock, re-reading the file before each write so that no
// other process's revocation is lost, and polled for changes.
type FileTokenStore struct {
	path string
	log  *slog.Logger
	now  func() time.Time
	seed maphash.Seed

	writeMu  sync.Mutex // serialises writes and reloads; guards the fields below
	lock     *os.File
	seen     fileState
	sum      uint64
	badSum   uint64
	isClosed bool

	state   atomic.Pointer[tokenState]
	version atomic.Uint64
	closed  atomic.Bool
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// tokenFile is the file's YAML form.
type tokenFile struct {
	// Revoked maps token and session ids to when they expire.
	Revoked map[string]time.Time `yaml:"revoked,omitempty"`
	// Subjects maps subjects to the time before which their tokens are
	// revoked.
	Subjects map[string]time.Time `yaml:"subjects,omitempty"`
	// Grants maps token ids to their sealed identity-provider grants.
	Grants map[string]tokenGrant `yaml:"grants,omitempty"`
}

// OpenFileTokenStore loads the token file at path and starts watching it.
// A missing file is an empty store, created by the first write; its folder
// must exist by then. A file that does not load is an error.
func OpenFileTokenStore(path string, opts FileTokenStoreOptions) (*FileTokenStore, error) {
	s := &FileTokenStore{path: path, log: opts.Logger, now: opts.Now, seed: maphash.MakeSeed()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	data, st, err := readState(path)
	if err != nil {
		return nil, fmt.Errorf("capabilities: %w", err)
	}
	t, err := decodeTokenFile(data, path)
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

// Path returns the token file's path.
func (s *FileTokenStore) Path() string { return s.path }

func decodeTokenFile(data []byte, path string) (*tokenState, error) {
	var f tokenFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("capabilities: token file %s: %w", path, err)
	}
	t := newTokenState()
	for id, until := range f.Revoked {
		t.revoked[id] = until
	}
	for sub, before := range f.Subjects {
		t.subjects[NormalizeEmail(sub)] = before
	}
	for id, g := range f.Grants {
		t.grants[id] = g
	}
	return t, nil
}

func encodeTokenFile(t *tokenState) ([]byte, error) {
	f := tokenFile{Revoked: t.revoked, Subjects: t.subjects, Grants: t.grants}
	data, err := yaml.Marshal(&f)
	if err != nil {
		return nil, fmt.Errorf("capabilities: encoding the token file: %w", err)
	}
	return data, nil
}

func (s *FileTokenStore) hash(data []byte, st fileState) uint64 {
	h := maphash.Bytes(s.seed, data)
	if !st.exists {
		h = ^h
	}
	return h
}

// install makes t the store's state. The caller holds writeMu (or is Open).
func (s *FileTokenStore) install(t *tokenState, sum uint64, st fileState) {
	s.state.Store(t)
	s.sum, s.seen, s.badSum = sum, st, 0
	s.version.Add(1)
}

func (s *FileTokenStore) watch(every time.Duration) {
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

func (s *FileTokenStore) poll() {
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
		s.log.Error("capabilities: cannot check the token file", "file", s.path, "err", err)
		return
	}
	if st == s.seen && (!st.exists || time.Since(time.Unix(0, st.mtime)) > recentWindow) {
		return
	}
	sum, err := s.refresh()
	if err != nil && sum != s.badSum {
		s.badSum = sum
		s.log.Error("capabilities: the token file does not load; keeping the last good state", "file", s.path, "err", err)
	}
}

// refresh reads the file and installs it when its content changed. The
// caller holds writeMu.
func (s *FileTokenStore) refresh() (uint64, error) {
	data, st, err := readState(s.path)
	if err != nil {
		return 0, err
	}
	sum := s.hash(data, st)
	if sum == s.sum {
		s.seen = st
		return sum, nil
	}
	t, err := decodeTokenFile(data, s.path)
	if err != nil {
		return sum, err
	}
	s.install(t, sum, st)
	return sum, nil
}

func (s *FileTokenStore) apply(ctx context.Context, change tokenChange) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.isClosed {
		return ErrClosed
	}
	if s.lock == nil {
		f, err := os.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("capabilities: opening the lock file: %w", err)
		}
		s.lock = f
	}
	if err := lockFile(s.lock); err != nil {
		return fmt.Errorf("capabilities: locking %s: %w", s.lock.Name(), err)
	}
	defer unlockFile(s.lock)
	if _, err := s.refresh(); err != nil {
		// A revocation must not be lost: a file that does not load is not
		// overwritten, the write fails.
		return fmt.Errorf("capabilities: the token file does not load (writes are refused until it is fixed): %w", err)
	}
	next := s.state.Load().clone()
	next.prune(s.now())
	change(next)
	data, err := encodeTokenFile(next)
	if err != nil {
		return err
	}
	st, err := writeFileDurable(s.path, data)
	if err != nil {
		return fmt.Errorf("capabilities: writing %s: %w", s.path, err)
	}
	s.install(next, s.hash(data, st), st)
	return nil
}

// writeFileDurable replaces the file at path with data through the same
// atomic, durable write as [FileStore].
func writeFileDurable(path string, data []byte) (fileState, error) {
	return (&FileStore{path: path}).writeDurable(data)
}

// Revoke implements [TokenStore].
func (s *FileTokenStore) Revoke(ctx context.Context, id string, until time.Time) error {
	if err := checkTokenID(id); err != nil {
		return err
	}
	return s.apply(ctx, revokeChange(id, until))
}

// RevokeSubject implements [TokenStore].
func (s *FileTokenStore) RevokeSubject(ctx context.Context, subject string, before time.Time) error {
	if NormalizeEmail(subject) == "" {
		return errEmptySubject
	}
	return s.apply(ctx, revokeSubjectChange(subject, before))
}

// Revoked implements [TokenStore].
func (s *FileTokenStore) Revoked(id, subject string, issuedAt time.Time) bool {
	return s.state.Load().isRevoked(id, subject, issuedAt)
}

// PutGrant implements [TokenStore].
func (s *FileTokenStore) PutGrant(ctx context.Context, id, sealed string, until time.Time) error {
	if err := checkTokenID(id); err != nil {
		return err
	}
	return s.apply(ctx, putGrantChange(id, sealed, until))
}

// Grant implements [TokenStore].
func (s *FileTokenStore) Grant(ctx context.Context, id string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	if s.closed.Load() {
		return "", false, ErrClosed
	}
	g, ok := s.state.Load().grants[id]
	if !ok || g.Until.Before(s.now()) {
		return "", false, nil
	}
	return g.Sealed, true, nil
}

// Version implements [TokenStore].
func (s *FileTokenStore) Version() uint64 { return s.version.Load() }

// Close stops watching the file and releases the lock file. Later writes
// fail with [ErrClosed].
func (s *FileTokenStore) Close() error {
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

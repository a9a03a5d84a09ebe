package capabilities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	now   func() time.Time
	file  watchedFile[*tokenState]
	state atomic.Pointer[tokenState]
}

// errInvalidTokenFile starts the error of a write refused because the
// token file does not load.
var errInvalidTokenFile = errors.New("capabilities: the token file does not load")

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
	s := &FileTokenStore{now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.file = watchedFile[*tokenState]{
		path:        path,
		log:         opts.Logger,
		decode:      func(data []byte) (*tokenState, error) { return decodeTokenFile(data, path) },
		install:     s.state.Store,
		invalid:     errInvalidTokenFile,
		checkFailed: "capabilities: cannot check the token file",
		loadFailed:  "capabilities: the token file does not load; keeping the last good state",
	}
	if err := s.file.open(opts.PollInterval); err != nil {
		return nil, err
	}
	return s, nil
}

// Path returns the token file's path.
func (s *FileTokenStore) Path() string { return s.file.path }

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

func (s *FileTokenStore) apply(ctx context.Context, change tokenChange) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.file.writeMu.Lock()
	defer s.file.writeMu.Unlock()
	// A revocation must not be lost: a file that does not load is not
	// overwritten, the write fails.
	unlock, err := s.file.beginWrite()
	if err != nil {
		return err
	}
	defer unlock()
	next := s.state.Load().clone()
	next.prune(s.now())
	change(next)
	data, err := encodeTokenFile(next)
	if err != nil {
		return err
	}
	st, err := s.file.write(data)
	if err != nil {
		return err
	}
	s.file.set(next, s.file.hash(data, st), st)
	return nil
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
	if s.file.closed.Load() {
		return "", false, ErrClosed
	}
	g, ok := s.state.Load().grants[id]
	if !ok || g.Until.Before(s.now()) {
		return "", false, nil
	}
	return g.Sealed, true, nil
}

// Version implements [TokenStore].
func (s *FileTokenStore) Version() uint64 { return s.file.version.Load() }

// Close stops watching the file and releases the lock file. Later writes
// fail with [ErrClosed].
func (s *FileTokenStore) Close() error {
	return s.file.close()
}

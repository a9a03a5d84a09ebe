package filestore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"gopkg.in/yaml.v3"
)

// TokenStore is a [store.TokenStore] kept in a YAML file, so that
// revocations survive restarts and are shared by the processes that use
// the same file. It is written like a [Store]: atomically and durably
// (temporary file, sync, rename, folder sync), serialised by a mutex and
// an flock on PATH.lock, re-reading the file before each write so that no
// other process's revocation is lost, and polled for changes.
type TokenStore struct {
	now   func() time.Time
	file  watchedFile[*storecore.TokenState]
	state atomic.Pointer[storecore.TokenState]
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
	Grants map[string]storecore.TokenGrant `yaml:"grants,omitempty"`
}

// OpenTokenStore loads the token file at path and starts watching it.
// A missing file is an empty store, created by the first write; its folder
// must exist by then. A file that does not load is an error.
func OpenTokenStore(path string, opts Options) (*TokenStore, error) {
	s := &TokenStore{now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.file = watchedFile[*storecore.TokenState]{
		path:        path,
		log:         opts.Logger,
		decode:      func(data []byte) (*storecore.TokenState, error) { return decodeTokenFile(data, path) },
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
func (s *TokenStore) Path() string { return s.file.path }

func decodeTokenFile(data []byte, path string) (*storecore.TokenState, error) {
	var f tokenFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("capabilities: token file %s: %w", path, err)
	}
	t := storecore.NewTokenState()
	for id, until := range f.Revoked {
		t.Revoked[id] = until
	}
	for sub, before := range f.Subjects {
		t.Subjects[capabilities.NormalizeEmail(sub)] = before
	}
	for id, g := range f.Grants {
		t.Grants[id] = g
	}
	return t, nil
}

func encodeTokenFile(t *storecore.TokenState) ([]byte, error) {
	f := tokenFile{Revoked: t.Revoked, Subjects: t.Subjects, Grants: t.Grants}
	data, err := yaml.Marshal(&f)
	if err != nil {
		return nil, fmt.Errorf("capabilities: encoding the token file: %w", err)
	}
	return data, nil
}

func (s *TokenStore) apply(ctx context.Context, change storecore.TokenChange) error {
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
	next := s.state.Load().Clone()
	next.Prune(s.now())
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

// Revoke implements [store.TokenStore].
func (s *TokenStore) Revoke(ctx context.Context, id string, until time.Time) error {
	if err := storecore.CheckTokenID(id); err != nil {
		return err
	}
	return s.apply(ctx, storecore.RevokeChange(id, until))
}

// RevokeSubject implements [store.TokenStore].
func (s *TokenStore) RevokeSubject(ctx context.Context, subject string, before time.Time) error {
	if capabilities.NormalizeEmail(subject) == "" {
		return storecore.ErrEmptySubject
	}
	return s.apply(ctx, storecore.RevokeSubjectChange(subject, before))
}

// Revoked implements [store.TokenStore].
func (s *TokenStore) Revoked(id, subject string, issuedAt time.Time) bool {
	return s.state.Load().IsRevoked(id, subject, issuedAt)
}

// PutGrant implements [store.TokenStore].
func (s *TokenStore) PutGrant(ctx context.Context, id, sealed string, until time.Time) error {
	if err := storecore.CheckTokenID(id); err != nil {
		return err
	}
	return s.apply(ctx, storecore.PutGrantChange(id, sealed, until))
}

// Grant implements [store.TokenStore].
func (s *TokenStore) Grant(ctx context.Context, id string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	if s.file.closed.Load() {
		return "", false, store.ErrClosed
	}
	g, ok := s.state.Load().Grants[id]
	if !ok || g.Until.Before(s.now()) {
		return "", false, nil
	}
	return g.Sealed, true, nil
}

// Version implements [store.TokenStore].
func (s *TokenStore) Version() uint64 { return s.file.version.Load() }

// Close stops watching the file and releases the lock file. Later writes
// fail with [store.ErrClosed].
func (s *TokenStore) Close() error {
	return s.file.close()
}

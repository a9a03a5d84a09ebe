package filestore

import (
	"context"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
)

// TokenStore is a [store.TokenStore] kept in a YAML file, so that
// revocations survive restarts and are shared by the processes that use
// the same file: the memory token store over the file. It is written like
// a [Store]: atomically and durably (temporary file, sync, rename, folder
// sync), serialised by a mutex and an flock on PATH.lock, re-reading the
// file before each write so that no other process's revocation is lost,
// and polled for changes. A file that does not load is never overwritten:
// writes fail until it is fixed.
type TokenStore struct {
	core *storecore.Tokens
	file *tokenFile
}

// tokenFile is the token file as the backend of a [TokenStore].
type tokenFile struct {
	watchedFile[*storecore.TokenState]
}

// Commit writes the file holding t.
func (f *tokenFile) Commit(t *storecore.TokenState) error {
	data, err := encodeTokenFile(t)
	if err != nil {
		return err
	}
	return f.write(data)
}

// OpenTokenStore loads the token file at path and starts watching it.
// A missing file is an empty store, created by the first write; its folder
// must exist by then. A file that does not load is an error.
func OpenTokenStore(path string, opts Options) (*TokenStore, error) {
	f := &tokenFile{}
	core := storecore.NewTokens(f, opts.Now)
	f.watchedFile = watchedFile[*storecore.TokenState]{
		path:        path,
		log:         opts.Logger,
		decode:      func(data []byte) (*storecore.TokenState, error) { return decodeTokenFile(data, path) },
		install:     core.Replace,
		invalid:     errInvalidTokenFile,
		checkFailed: "capabilities: cannot check the token file",
		loadFailed:  "capabilities: the token file does not load; keeping the last good state",
	}
	if err := f.open(opts.PollInterval); err != nil {
		return nil, err
	}
	return &TokenStore{core: core, file: f}, nil
}

// Path returns the token file's path.
func (s *TokenStore) Path() string { return s.file.path }

// Revoke implements [store.TokenStore].
func (s *TokenStore) Revoke(ctx context.Context, id string, until time.Time) error {
	return s.core.Revoke(ctx, id, until)
}

// RevokeSubject implements [store.TokenStore].
func (s *TokenStore) RevokeSubject(ctx context.Context, subject string, before time.Time) error {
	return s.core.RevokeSubject(ctx, subject, before)
}

// Revoked implements [store.TokenStore].
func (s *TokenStore) Revoked(id, subject string, issuedAt time.Time) bool {
	return s.core.Revoked(id, subject, issuedAt)
}

// PutGrant implements [store.TokenStore].
func (s *TokenStore) PutGrant(ctx context.Context, id, sealed string, until time.Time) error {
	return s.core.PutGrant(ctx, id, sealed, until)
}

// Grant implements [store.TokenStore].
func (s *TokenStore) Grant(ctx context.Context, id string) (string, bool, error) {
	return s.core.Grant(ctx, id)
}

// Version implements [store.TokenStore]: it changes on every write and
// every change of the file seen by the poller.
func (s *TokenStore) Version() uint64 { return s.core.Version() }

// Close stops watching the file and releases the lock file. Later writes
// fail with [store.ErrClosed].
func (s *TokenStore) Close() error {
	s.core.Close()
	return s.file.close()
}

package filestore

import (
	"context"

	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// ClientStore is a [store.ClientStore] kept in a YAML file in the format of
// simple_oauth_server's clients file (see [DecodeClientFile]), with hashed
// secrets: the memory client store over the file. It is written like a
// [Store]: atomically and durably (temporary file, sync, rename, folder
// sync), serialised by a mutex and an flock on PATH.lock, re-reading the
// file before each write so that no other process's change is lost, and
// polled for hand edits. A hand edit that does not load (bad YAML, an
// unknown key, a plaintext secret) is logged; the store keeps its last
// good state and refuses writes with [ErrInvalidClientFile] until the
// file loads again.
type ClientStore struct {
	core *storecore.Clients
	file *clientFile
}

// clientFile is the clients file as the backend of a [ClientStore].
type clientFile struct {
	watchedFile[map[string]store.Client]
}

// Commit writes the file holding m.
func (f *clientFile) Commit(m map[string]store.Client) error {
	data, err := encodeClients(m)
	if err != nil {
		return err
	}
	return f.write(data)
}

// OpenClientStore loads the clients file at path and starts watching
// it. A missing file is an empty store, created (mode 0600) by the first
// write; its folder must exist by then. A file that does not load is an
// error.
func OpenClientStore(path string, opts Options) (*ClientStore, error) {
	f := &clientFile{}
	core := storecore.NewClients(f, opts.Now)
	f.watchedFile = watchedFile[map[string]store.Client]{
		path:        path,
		log:         opts.Logger,
		decode:      func(data []byte) (map[string]store.Client, error) { return decodeClients(data, path) },
		install:     core.Replace,
		invalid:     ErrInvalidClientFile,
		checkFailed: "capabilities: cannot check the clients file",
		loadFailed:  "capabilities: the clients file does not load; keeping the last good state and refusing writes until it is fixed",
	}
	if err := f.open(opts.PollInterval); err != nil {
		return nil, err
	}
	return &ClientStore{core: core, file: f}, nil
}

// Path returns the clients file's path.
func (s *ClientStore) Path() string { return s.file.path }

// Client implements [store.ClientStore]. It answers from memory.
func (s *ClientStore) Client(ctx context.Context, id string) (store.Client, bool, error) {
	return s.core.Client(ctx, id)
}

// Clients implements [store.ClientStore].
func (s *ClientStore) Clients(ctx context.Context) ([]store.Client, error) {
	return s.core.Clients(ctx)
}

// PutClient implements [store.ClientStore].
func (s *ClientStore) PutClient(ctx context.Context, c store.Client) error {
	return s.core.PutClient(ctx, c)
}

// RemoveClient implements [store.ClientStore].
func (s *ClientStore) RemoveClient(ctx context.Context, id string) error {
	return s.core.RemoveClient(ctx, id)
}

// ClientsVersion implements [store.ClientStore]: it changes on every write and
// every change of the file seen by the poller.
func (s *ClientStore) ClientsVersion() uint64 { return s.core.Version() }

// Close stops watching the file and releases the lock file. Later calls
// fail with [store.ErrClosed].
func (s *ClientStore) Close() error {
	s.core.Close()
	return s.file.close()
}

package filestore_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

func TestFileStoreContract(t *testing.T) {
	storetest.Run(t, func(t testing.TB, g *capabilities.Graph) store.Store {
		s, err := filestore.Open(filepath.Join(t.TempDir(), "caps.yaml"), g, filestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFileStoreContractReopened(t *testing.T) {
	// Each store here is a new FileStore on a file written by another one,
	// so everything checked has gone through the file.
	storetest.Run(t, func(t testing.TB, g *capabilities.Graph) store.Store {
		r := &reopening{g: g, path: filepath.Join(t.TempDir(), "caps.yaml")}
		w, err := filestore.Open(r.path, g, filestore.Options{PollInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		r.w = w
		return r
	})
}

// reopening writes through one FileStore and reads through a new one each
// time.
type reopening struct {
	g      *capabilities.Graph
	path   string
	w      *filestore.Store
	closed atomic.Bool
}

func (r *reopening) writer() *filestore.Store { return r.w }

func (r *reopening) reader() (*filestore.Store, error) {
	if r.closed.Load() {
		return nil, store.ErrClosed
	}
	return filestore.Open(r.path, r.g, filestore.Options{PollInterval: -1})
}

func (r *reopening) Get(ctx context.Context, email string) ([]string, error) {
	s, err := r.reader()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Get(ctx, email)
}

func (r *reopening) List(ctx context.Context) (map[string][]string, error) {
	s, err := r.reader()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.List(ctx)
}

func (r *reopening) Set(ctx context.Context, email string, caps []string) ([]string, error) {
	return r.writer().Set(ctx, email, caps)
}

func (r *reopening) Add(ctx context.Context, email string, caps ...string) ([]string, error) {
	return r.writer().Add(ctx, email, caps...)
}

func (r *reopening) Remove(ctx context.Context, email string, caps ...string) ([]string, error) {
	return r.writer().Remove(ctx, email, caps...)
}

func (r *reopening) Update(ctx context.Context, email string, fn func([]string) ([]string, error)) ([]string, error) {
	return r.writer().Update(ctx, email, fn)
}

func (r *reopening) Version() uint64 { return r.writer().Version() }

func (r *reopening) Close() error {
	r.closed.Store(true)
	return r.writer().Close()
}

// TestFileStoreShared runs the concurrency contract on two stores on one
// file, as two processes would.
func TestFileStoreShared(t *testing.T) {
	storetest.RunShared(t, func(t testing.TB, g *capabilities.Graph) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "caps.yaml")
		open := func() store.Store {
			s, err := filestore.Open(path, g, filestore.Options{PollInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		return open(), open()
	})
}

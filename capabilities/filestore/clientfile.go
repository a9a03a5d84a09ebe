package filestore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// ErrInvalidClientFile is matched (errors.Is) by the error of a write
// refused because the clients file does not load.
var ErrInvalidClientFile = errors.New("capabilities: the clients file does not load")

// ClientStore is a [store.ClientStore] kept in a YAML file in the format of
// simple_oauth_server's clients file (see [DecodeClientFile]), with hashed
// secrets. It is written like a [Store]: atomically and durably
// (temporary file, sync, rename, folder sync), serialised by a mutex and
// an flock on PATH.lock, re-reading the file before each write so that no
// other process's change is lost, and polled for hand edits. A hand edit
// that does not load (bad YAML, an unknown key, a plaintext secret) is
// logged; the store keeps its last good state and refuses writes with
// [ErrInvalidClientFile] until the file loads again.
type ClientStore struct {
	now     func() time.Time
	file    watchedFile[map[string]store.Client]
	clients atomic.Pointer[map[string]store.Client]
}

// OpenClientStore loads the clients file at path and starts watching
// it. A missing file is an empty store, created (mode 0600) by the first
// write; its folder must exist by then. A file that does not load is an
// error.
func OpenClientStore(path string, opts Options) (*ClientStore, error) {
	s := &ClientStore{now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.file = watchedFile[map[string]store.Client]{
		path:        path,
		log:         opts.Logger,
		decode:      func(data []byte) (map[string]store.Client, error) { return decodeClients(data, path) },
		install:     func(m map[string]store.Client) { s.clients.Store(&m) },
		invalid:     ErrInvalidClientFile,
		checkFailed: "capabilities: cannot check the clients file",
		loadFailed:  "capabilities: the clients file does not load; keeping the last good state and refusing writes until it is fixed",
	}
	if err := s.file.open(opts.PollInterval); err != nil {
		return nil, err
	}
	return s, nil
}

// Path returns the clients file's path.
func (s *ClientStore) Path() string { return s.file.path }

// clientEntry is one client in the file: the clients format as the
// configuration's clients: take it (a list may be one string, scope
// space-separated or a list), plus the store's timestamps.
type clientEntry struct {
	ClientSecret string                `yaml:"client_secret"`
	Audience     confdecode.StringList `yaml:"audience"`
	Sub          string                `yaml:"sub"`
	Scope        confdecode.StringList `yaml:"scope"`
	Permissions  confdecode.StringList `yaml:"permissions"`
	Roles        confdecode.StringList `yaml:"roles"`
	Groups       confdecode.StringList `yaml:"groups"`
	Disabled     bool                  `yaml:"disabled"`
	Created      time.Time             `yaml:"created"`
	Updated      time.Time             `yaml:"updated"`
}

// DecodeClientFile parses a clients file:
//
//	clients:
//	  reporting-job:
//	    client_secret: $argon2id$v=19$m=19456,t=2,p=1$…$…
//	    audience: api            # or a list; the first is the default
//	    sub: reporting           # default: the id
//	    scope: read:data write:data
//	    permissions: [read:data]
//	    roles: [reader]          # or one string
//	    groups: east             # or a list
//	    disabled: true
//	    created: 2026-01-02T03:04:05Z
//	    updated: 2026-01-02T03:04:05Z
//
// Unknown keys are errors naming the key meant (a misspelt "disabled" must
// not be ignored), and so is a client_secret that is not an argon2id hash:
// errors never quote a secret. Values are taken as written (the store
// writes the file; no ${NAME} or ~CRYPT~). Every problem is reported,
// naming its key; name is used in error messages. Clients come back
// sorted by id.
func DecodeClientFile(data []byte, name string) ([]store.Client, error) {
	m, err := decodeClients(data, name)
	if err != nil {
		return nil, err
	}
	return sortedClients(m), nil
}

func decodeClients(data []byte, name string) (map[string]store.Client, error) {
	var doc yaml.Node // not confdecode.Parse: a store's file has no size limit
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("capabilities: clients file %s: %w", name, &confdecode.Error{Reason: "invalid YAML", Err: err})
	}
	var f struct {
		Clients map[string]clientEntry `yaml:"clients"`
	}
	_, decodeErr := confdecode.Decode(&doc, &f, confdecode.Options{})
	out := make(map[string]store.Client, len(f.Clients))
	var invalid []error
	for _, id := range slices.Sorted(maps.Keys(f.Clients)) {
		e := f.Clients[id]
		c := store.Client{
			ID: id, SecretHash: e.ClientSecret, Audience: e.Audience, Subject: e.Sub,
			Scope: e.Scope.Words(), Permissions: e.Permissions, Roles: e.Roles, Groups: e.Groups,
			Disabled: e.Disabled, Created: e.Created, Updated: e.Updated,
		}
		if err := c.Validate(); err != nil {
			invalid = append(invalid, &confdecode.Error{Key: "clients." + id, Reason: "cannot be stored", Err: err})
		}
		out[id] = c
	}
	if err := confdecode.Join(decodeErr, errors.Join(invalid...)); err != nil {
		return nil, fmt.Errorf("capabilities: clients file %s: %w", name, err)
	}
	return out, nil
}

// EncodeClientFile returns the clients file holding clients, sorted by id
// (YAML maps are written sorted), each client's keys in a fixed order: the
// same clients always give the same bytes. A client that
// [store.Client.Validate] refuses is an error.
func EncodeClientFile(clients []store.Client) ([]byte, error) {
	m := make(map[string]store.Client, len(clients))
	for _, c := range clients {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		m[c.ID] = c
	}
	return encodeClients(m)
}

// clientOut is one client as written: one audience as a plain string, as
// simple_oauth_server's files have it, several as a list; the other lists
// always as lists.
type clientOut struct {
	ClientSecret string    `yaml:"client_secret"`
	Audience     any       `yaml:"audience,omitempty"`
	Sub          string    `yaml:"sub,omitempty"`
	Scope        string    `yaml:"scope,omitempty"`
	Permissions  []string  `yaml:"permissions,omitempty"`
	Roles        []string  `yaml:"roles,omitempty"`
	Groups       []string  `yaml:"groups,omitempty"`
	Disabled     bool      `yaml:"disabled,omitempty"`
	Created      time.Time `yaml:"created,omitempty"`
	Updated      time.Time `yaml:"updated,omitempty"`
}

func encodeClients(m map[string]store.Client) ([]byte, error) {
	f := struct {
		Clients map[string]clientOut `yaml:"clients"`
	}{Clients: make(map[string]clientOut, len(m))}
	for id, c := range m {
		var aud any
		switch len(c.Audience) {
		case 0:
		case 1:
			aud = c.Audience[0]
		default:
			aud = c.Audience
		}
		f.Clients[id] = clientOut{
			ClientSecret: c.SecretHash, Audience: aud, Sub: c.Subject,
			Scope: strings.Join(c.Scope, " "), Permissions: c.Permissions, Roles: c.Roles, Groups: c.Groups,
			Disabled: c.Disabled, Created: c.Created.UTC(), Updated: c.Updated.UTC(),
		}
	}
	data, err := yaml.Marshal(&f)
	if err != nil {
		return nil, fmt.Errorf("capabilities: encoding the clients file: %w", err)
	}
	return data, nil
}

func sortedClients(m map[string]store.Client) []store.Client {
	out := make([]store.Client, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[id].Clone())
	}
	return out
}

// Client implements [store.ClientStore]. It answers from memory.
func (s *ClientStore) Client(ctx context.Context, id string) (store.Client, bool, error) {
	if s.file.closed.Load() {
		return store.Client{}, false, store.ErrClosed
	}
	c, ok := (*s.clients.Load())[id]
	return c.Clone(), ok, nil
}

// Clients implements [store.ClientStore].
func (s *ClientStore) Clients(ctx context.Context) ([]store.Client, error) {
	if s.file.closed.Load() {
		return nil, store.ErrClosed
	}
	return sortedClients(*s.clients.Load()), nil
}

// PutClient implements [store.ClientStore].
func (s *ClientStore) PutClient(ctx context.Context, c store.Client) error {
	if err := c.Validate(); err != nil {
		return err
	}
	c = c.Clone()
	return s.apply(ctx, func(m map[string]store.Client) error {
		now := s.now().UTC()
		c.Created, c.Updated = now, now
		if old, ok := m[c.ID]; ok && !old.Created.IsZero() {
			c.Created = old.Created
		}
		m[c.ID] = c
		return nil
	})
}

// RemoveClient implements [store.ClientStore].
func (s *ClientStore) RemoveClient(ctx context.Context, id string) error {
	return s.apply(ctx, func(m map[string]store.Client) error {
		if _, ok := m[id]; !ok {
			return store.ErrClientNotFound
		}
		delete(m, id)
		return nil
	})
}

// apply runs change on a copy of the newest clients and writes the result.
func (s *ClientStore) apply(ctx context.Context, change func(map[string]store.Client) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.file.writeMu.Lock()
	defer s.file.writeMu.Unlock()
	unlock, err := s.file.beginWrite()
	if err != nil {
		return err
	}
	defer unlock()
	next := maps.Clone(*s.clients.Load())
	if err := change(next); err != nil {
		return err
	}
	data, err := encodeClients(next)
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

// ClientsVersion implements [store.ClientStore]: it changes on every write and
// every change of the file seen by the poller.
func (s *ClientStore) ClientsVersion() uint64 { return s.file.version.Load() }

// Close stops watching the file and releases the lock file. Later calls
// fail with [store.ErrClosed].
func (s *ClientStore) Close() error { return s.file.close() }

package filestore_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

func TestFileClientStoreContract(t *testing.T) {
	t.Parallel()
	storetest.RunClients(t, func(t testing.TB) store.ClientStore {
		return openClientFile(t, filepath.Join(t.TempDir(), "caps.yaml.clients.yaml"), filestore.Options{})
	})
}

func openClientFile(t testing.TB, path string, opts filestore.Options) *filestore.ClientStore {
	t.Helper()
	s, err := filestore.OpenClientStore(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestClientFileFor(t *testing.T) {
	if got := filestore.ClientFileFor("/etc/app/caps.yaml"); got != "/etc/app/caps.yaml.clients.yaml" {
		t.Fatalf("ClientFileFor = %q", got)
	}
}

// A clients file in simple_oauth_server's format (with hashed secrets)
// loads: audience, roles and groups as a string or a list, scope as one
// space-separated string.
func TestFileClientStoreReadsSimpleOAuthServerFormat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "clients.yaml")
	file := `# machine clients
clients:
  writer:
    client_secret: "` + storetest.SecretHash + `"
    audience: "dev"
    sub: "writer-1"
    roles: ["sales_manager", "sales_associate"]
    groups: east
    scope: "write:*  read:pets"
  auditor:
    client_secret: ` + storetest.OtherSecretHash + `
    audience: [dev, prod]
    permissions:
      - "read:pets"
    roles: auditor
    disabled: true
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openClientFile(t, path, filestore.Options{PollInterval: -1})
	all, err := s.Clients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Client{
		{ID: "auditor", SecretHash: storetest.OtherSecretHash, Audience: []string{"dev", "prod"},
			Permissions: []string{"read:pets"}, Roles: []string{"auditor"}, Disabled: true},
		{ID: "writer", SecretHash: storetest.SecretHash, Audience: []string{"dev"}, Subject: "writer-1",
			Scope: []string{"write:*", "read:pets"}, Roles: []string{"sales_manager", "sales_associate"}, Groups: []string{"east"}},
	}
	if len(all) != len(want) {
		t.Fatalf("Clients = %+v", all)
	}
	for i := range want {
		if d := storetest.SameClient(all[i], want[i]); d != "" {
			t.Errorf("%s: %s", want[i].ID, d)
		}
	}
}

// The clients format is one: a scope written as a list, as the
// configuration's clients: take it, loads from the store's file too, and
// a misspelt key is named with its path and the key meant.
func TestClientFileTakesTheConfigurationsClientFormat(t *testing.T) {
	t.Parallel()
	file := `clients:
  reader:
    client_secret: ` + storetest.SecretHash + `
    scope: [read:pets, "read:owners write:notes"]
    audience: pets
`
	cs, err := filestore.DecodeClientFile([]byte(file), "clients.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || !slices.Equal(cs[0].Scope, []string{"read:pets", "read:owners", "write:notes"}) {
		t.Fatalf("clients %+v; want reader with scope [read:pets read:owners write:notes]", cs)
	}
	_, err = filestore.DecodeClientFile([]byte(strings.Replace(file, "audience:", "audiences:", 1)), "clients.yaml")
	if err == nil || !strings.Contains(err.Error(), `clients.reader.audiences: unknown key (did you mean "audience"?)`) {
		t.Fatalf("err = %v; want the key path and the key meant", err)
	}
}

// The store writes the file sorted, each client's keys in a fixed order,
// one audience as a string; the same clients give the same bytes.
func TestFileClientStoreWritesStableSortedFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "clients.yaml")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := openClientFile(t, path, filestore.Options{PollInterval: -1, Now: func() time.Time { return at }})
	for _, c := range []store.Client{
		{ID: "zeta", SecretHash: storetest.SecretHash, Audience: []string{"api"}, Scope: []string{"read:data", "write:data"}, Roles: []string{"one"}},
		{ID: "alpha", SecretHash: storetest.OtherSecretHash, Audience: []string{"a", "b"}, Subject: "alpha-1", Disabled: true},
	} {
		if err := s.PutClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	want := `clients:
    alpha:
        client_secret: ` + storetest.OtherSecretHash + `
        audience:
            - a
            - b
        sub: alpha-1
        disabled: true
        created: 2026-01-02T03:04:05Z
        updated: 2026-01-02T03:04:05Z
    zeta:
        client_secret: ` + storetest.SecretHash + `
        audience: api
        scope: read:data write:data
        roles:
            - one
        created: 2026-01-02T03:04:05Z
        updated: 2026-01-02T03:04:05Z
`
	got := string(mustRead(t, path))
	if got != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
	// Encoding what was decoded gives the same bytes.
	cs, err := filestore.DecodeClientFile([]byte(got), path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := filestore.EncodeClientFile(cs)
	if err != nil || string(again) != want {
		t.Fatalf("re-encoded: %v\n%s", err, again)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v %v", fi, err)
	}
}

// A file that holds a plaintext secret, an unknown key or bad YAML does
// not load, and the error never quotes the secret.
func TestFileClientStoreLoadErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, file, want string }{
		{"plaintext", "clients:\n  c1:\n    client_secret: hunter2-plaintext\n", "not an argon2id hash"},
		{"no secret", "clients:\n  c1:\n    audience: api\n", "not an argon2id hash"},
		{"misspelt key", "clients:\n  c1:\n    client_secret: " + storetest.SecretHash + "\n    disable: true\n", "disable"},
		{"bad yaml", "clients: [\n", "clients file"},
		{"bad roles", "clients:\n  c1:\n    client_secret: " + storetest.SecretHash + "\n    roles: {a: b}\n", "string or a list"},
		{"colon in id", "clients:\n  \"a:b\":\n    client_secret: " + storetest.SecretHash + "\n", "invalid client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "clients.yaml")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := filestore.OpenClientStore(path, filestore.Options{PollInterval: -1})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v; want one naming the file and %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error quotes the secret: %v", err)
			}
		})
	}
	for _, empty := range []string{"", "# nothing\n", "clients:\n", "clients: {}\n"} {
		if cs, err := filestore.DecodeClientFile([]byte(empty), "x"); err != nil || len(cs) != 0 {
			t.Errorf("DecodeClientFile(%q) = %v, %v; want empty", empty, cs, err)
		}
	}
}

// Hand edits and other writers are picked up by the poller; a broken edit
// keeps the last good state and refuses writes until it is fixed.
func TestFileClientStoreHandEdits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "clients.yaml")
	var logs syncBuffer
	s := openClientFile(t, path, filestore.Options{PollInterval: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := s.PutClient(ctx, storetest.FullClient("job")); err != nil {
		t.Fatal(err)
	}
	v := s.ClientsVersion()

	// Disabling by hand reaches the store (and its version) within a poll.
	edited := strings.Replace(string(mustRead(t, path)), "    client_secret:", "    disabled: true\n        client_secret:", 1)
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "hand edit", func() bool {
		c, _, _ := s.Client(ctx, "job")
		return c.Disabled
	})
	if s.ClientsVersion() == v {
		t.Fatal("ClientsVersion unchanged after a hand edit")
	}

	// Another store on the same file, as another process: its write keeps
	// ours, and ours sees its.
	other := openClientFile(t, path, filestore.Options{PollInterval: -1})
	if err := other.PutClient(ctx, storetest.FullClient("other")); err != nil {
		t.Fatal(err)
	}
	if c, ok, _ := other.Client(ctx, "job"); !ok || !c.Disabled {
		t.Fatal("the other store lost the hand edit")
	}
	waitFor(t, "other writer", func() bool {
		_, ok, _ := s.Client(ctx, "other")
		return ok
	})

	// A broken edit: last good state kept, writes refused, file untouched.
	// Written whole (temporary file and rename): os.WriteFile truncates
	// first, and a poll in between would load the empty file, a valid
	// state that the broken one would then keep.
	broken := "clients:\n  job:\n    client_secret: plaintext-by-mistake\n"
	replaceWhole(t, path, broken)
	waitFor(t, "log of the broken edit", func() bool { return strings.Contains(logs.String(), "does not load") })
	if strings.Contains(logs.String(), "plaintext-by-mistake") {
		t.Fatalf("the log quotes the secret: %s", logs.String())
	}
	if c, ok, _ := s.Client(ctx, "job"); !ok || !c.Disabled || c.SecretHash != storetest.SecretHash {
		t.Fatalf("Client = %+v, %v; want the last good state", c, ok)
	}
	if err := s.PutClient(ctx, storetest.FullClient("new")); !errors.Is(err, filestore.ErrInvalidClientFile) {
		t.Fatalf("write over a broken file: %v; want ErrInvalidClientFile", err)
	}
	if err := s.RemoveClient(ctx, "job"); !errors.Is(err, filestore.ErrInvalidClientFile) {
		t.Fatalf("remove over a broken file: %v; want ErrInvalidClientFile", err)
	}
	if got := string(mustRead(t, path)); got != broken {
		t.Fatalf("the broken file was overwritten: %q", got)
	}

	// Fixed: loads, writes work again.
	if err := os.WriteFile(path, []byte("clients:\n  fixed:\n    client_secret: "+storetest.SecretHash+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "fix", func() bool {
		_, ok, _ := s.Client(ctx, "fixed")
		return ok
	})
	if err := s.RemoveClient(ctx, "fixed"); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.Clients(ctx); len(cs) != 0 {
		t.Fatalf("Clients = %+v; want none", cs)
	}
	// Removing the file empties the store.
	if err := s.PutClient(ctx, storetest.FullClient("x")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "removal", func() bool {
		cs, _ := s.Clients(ctx)
		return len(cs) == 0
	})
}

// Created survives a restart; the file is the only state.
func TestFileClientStorePersists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "clients.yaml")
	a := openClientFile(t, path, filestore.Options{PollInterval: -1})
	if err := a.PutClient(ctx, storetest.FullClient("c")); err != nil {
		t.Fatal(err)
	}
	first, _, _ := a.Client(ctx, "c")
	a.Close()
	b := openClientFile(t, path, filestore.Options{PollInterval: -1})
	got, ok, err := b.Client(ctx, "c")
	if err != nil || !ok || !got.Created.Equal(first.Created) || !got.Updated.Equal(first.Updated) {
		t.Fatalf("after reopening: %+v %v %v; want %+v", got, ok, err, first)
	}
	if d := storetest.SameClient(got, storetest.FullClient("c")); d != "" {
		t.Fatal(d)
	}
	if ids := clientIDs(t, b); !slices.Equal(ids, []string{"c"}) {
		t.Fatalf("ids %q", ids)
	}
}

func clientIDs(t *testing.T, s store.ClientStore) []string {
	t.Helper()
	cs, err := s.Clients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// BenchmarkClientLookup measures the per-request "is this client still
// enabled" read of each in-process store, with 1,000 clients.
func BenchmarkClientLookup(b *testing.B) {
	ctx := context.Background()
	file, err := filestore.OpenClientStore(filepath.Join(b.TempDir(), "clients.yaml"), filestore.Options{PollInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	var all []store.Client
	for i := range 1000 {
		all = append(all, storetest.FullClient("client-"+strconv.Itoa(i)))
	}
	data, err := filestore.EncodeClientFile(all)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(file.Path(), data, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := file.PutClient(ctx, storetest.FullClient("client-0")); err != nil { // loads the file
		b.Fatal(err)
	}
	for name, s := range map[string]store.ClientStore{"memory": memstore.NewClientStore(all...), "file": file} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok, _ := s.Client(ctx, "client-500"); !ok {
					b.Fatal("missing")
				}
			}
		})
	}
}

// replaceWhole replaces path's content in one step, as editors that save
// through a temporary file do.
func replaceWhole(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".edit"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

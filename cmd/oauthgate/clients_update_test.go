package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities/filestore"
)

// checkClientsUpdate runs `clients update` on a client of the store that
// where selects: only the fields given change. hash reads the client's
// stored secret hash, which must not change.
func checkClientsUpdate(t *testing.T, s *clientsSession, where []string, hash func(id string) string) {
	t.Helper()
	id, _ := s.credentials(append([]string{"add", "--id", "upd", "--scope", "read:data", "--audience", "api,other", "--sub", "upd-1",
		"--permissions", "p1", "--roles", "r1,r2", "--groups", "east"}, where...)...)
	s.run(0, append([]string{"disable", id}, where...)...)
	before := hash(id)
	view := func() map[string]any {
		out := s.run(0, append([]string{"list", "--json", id}, where...)...)
		var views []map[string]any
		if err := json.Unmarshal([]byte(out), &views); err != nil || len(views) != 1 {
			t.Fatalf("list --json: %v\n%s", err, out)
		}
		delete(views[0], "updated")
		delete(views[0], "created")
		return views[0]
	}
	want := view()
	step := func(args []string, changes map[string]any) {
		t.Helper()
		out := s.run(0, append(append([]string{"update"}, args...), append(where, id)...)...)
		if !strings.HasPrefix(out, id+": updated ") {
			t.Errorf("update printed %q", out)
		}
		for k, v := range changes {
			want[k] = v
		}
		if got := view(); !reflect.DeepEqual(got, want) {
			t.Fatalf("after update %q:\n%v\nwant\n%v", args, got, want)
		}
	}
	step([]string{"--scope", "read:data,write:data"}, map[string]any{"scope": "read:data write:data"})
	step([]string{"--audience", "prod", "--roles", "ops"}, map[string]any{"audience": []any{"prod"}, "roles": []any{"ops"}})
	step([]string{"--permissions", "p2", "--permissions", "p3", "--groups", ""}, map[string]any{"permissions": []any{"p2", "p3"}, "groups": []any{}})
	step([]string{"--sub", "upd-2"}, map[string]any{"sub": "upd-2"})
	if hash(id) != before || want["disabled"] != true {
		t.Fatalf("update changed the secret or the disabled flag")
	}
	s.run(2, append([]string{"update"}, append(where, id)...)...) // nothing to change
	s.run(1, append([]string{"update", "--scope", "x"}, append(where, "nobody")...)...)
	if !strings.Contains(s.stderr.String(), `no client "nobody"`) {
		t.Errorf("unknown client: %q", s.stderr.String())
	}
}

func TestClientsUpdateFile(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "client_credentials: {token_ttl: 1h}\n")
	storePath := filepath.Join(filepath.Dir(path), "caps.yaml.clients.yaml")
	s := &clientsSession{t: t}
	checkClientsUpdate(t, s, []string{"--config", path}, func(id string) string {
		st, err := filestore.OpenClientStore(storePath, filestore.Options{PollInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		c, _, err := st.Client(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return c.SecretHash
	})
}

// An issuer that is not a URL passes config check, with a warning.
func TestConfigCheckWarnsOfAnIssuerName(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "client_credentials: {issuer: admin}\n")
	code, stdout, stderr := cli(t, "config", "check", "--offline", "--config", path)
	if code != 0 || !strings.Contains(stdout, "ok: ") || !strings.Contains(stderr, `warning: client_credentials.issuer "admin" is not a URL`) {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, _, stderr = cli(t, "config", "check", "--offline", "--config", writeConfig(t, "client_credentials: {issuer: \"https://auth.example.com/\"}\n"))
	if code != 0 || strings.Contains(stderr, "client_credentials.issuer") {
		t.Fatalf("a URL issuer: exit %d\n%s", code, stderr)
	}
}

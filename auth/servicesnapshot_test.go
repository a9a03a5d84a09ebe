package auth_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
)

// A service token minted after a capability was taken from the account
// (by another process sharing the user file, which this one has not
// polled yet) must not carry it: otherwise granting it again later would
// bring it back to a token that never should have had it.
func TestServiceTokenSnapshotIsCurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "caps.yaml")
	g := testGraph(t)
	open := func() *filestore.Store {
		// No polling: this store sees other processes' writes only when
		// it reads the file itself.
		s, err := filestore.Open(path, g, filestore.Options{PollInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	mine := open()
	e := newEnv(t, envOptions{configure: func(c *auth.Config) { c.CapabilityStore = mine }})
	grant(t, e, "boss@example.com", "user_management", "baker", "announce")
	grant(t, e, "bot@service", "baker", "announce")
	b := e.browser()
	b.login("boss@example.com", "/login")
	boss := identityOf(t, e, userToken(t, b))
	if _, err := e.m.IssueServiceToken(ctx, boss, "bot@service"); err != nil {
		t.Fatal(err) // the account's entry is in every cache now
	}

	other := open()
	if _, err := other.Remove(ctx, "bot@service", "baker"); err != nil {
		t.Fatal(err)
	}
	st, err := e.m.IssueServiceToken(ctx, boss, "bot@service")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(st.Capabilities, "baker") {
		t.Errorf("a token minted after baker was removed carries %q", st.Capabilities)
	}
	// Granted again later, baker must not come back to that token.
	if _, err := other.Add(ctx, "bot@service", "baker"); err != nil {
		t.Fatal(err)
	}
	grant(t, e, "someone@example.com") // a write here reads the file
	if id := identityOf(t, e, st.Token); id.Has("baker") {
		t.Errorf("the token holds baker, granted after it was minted")
	}
}

func testGraph(t *testing.T) *capabilities.Graph {
	t.Helper()
	p, err := testConfig().Capabilities.Policy()
	if err != nil {
		t.Fatal(err)
	}
	return p.Graph()
}

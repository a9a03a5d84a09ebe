package authtest_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/authtest"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
)

func TestMachineKeepsAttributesAndReplacesScope(t *testing.T) {
	t.Parallel()
	cfg := &auth.Config{
		Capabilities:      capabilities.Config{Graph: map[string][]string{"read": {}, "bake": {}}},
		ScopeCapabilities: map[string][]string{"read:pets": {"read"}, "bake:bread": {"bake"}},
	}
	at := authtest.New(t, cfg, func(m *auth.Manager) http.Handler {
		return m.Require("bake")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mi := auth.IdentityFrom(r.Context()).Machine()
			w.Write([]byte(mi.ClientID + " " + auth.IdentityFrom(r.Context()).Subject))
		}))
	})
	clients := at.Clients.ClientStore()
	ctx := context.Background()
	hash, err := clientcreds.HashClientSecret("first-secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := clients.PutClient(ctx, store.Client{ID: "oven", Subject: "oven-1", SecretHash: hash, Permissions: []string{"bake:bread"}, Scope: []string{"read:pets"}}); err != nil {
		t.Fatal(err)
	}
	old, _, _ := clients.Client(ctx, "oven")
	if got := at.Machine("oven").Get("/").Expect(t, 200).Text(t); got != "oven oven-1" {
		t.Errorf("body %q", got)
	}
	c, _, _ := clients.Client(ctx, "oven")
	if c.SecretHash == old.SecretHash || !clientcreds.IsClientSecretHash(c.SecretHash) || !slices.Equal(c.Scope, []string{"read:pets"}) {
		t.Errorf("client after Machine: %+v", c)
	}
	at.Machine("oven", "write:pets").Get("/").Expect(t, 200)
	if c, _, _ := clients.Client(ctx, "oven"); !slices.Equal(c.Scope, []string{"write:pets"}) || !slices.Equal(c.Permissions, []string{"bake:bread"}) {
		t.Errorf("client after Machine with scopes: %+v", c)
	}
	at.Machine("stranger").Get("/").Expect(t, 403)
}

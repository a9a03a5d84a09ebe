package auth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
)

func TestManageCapabilitiesDelegation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	grant(t, e, "admin@example.com", "admin")
	grant(t, e, "mgr@example.com", "user_management", "write")
	grant(t, e, "x@example.com", "baker")
	login := func(email string) *auth.Identity {
		b := e.browser()
		b.login(email, "/login")
		return identityOf(t, e, userToken(t, b))
	}
	admin, mgr, plain := login("admin@example.com"), login("mgr@example.com"), login("plain@example.com")

	var deleg *capabilities.DelegationError
	var unknown *capabilities.UnknownCapabilityError
	for _, tc := range []struct {
		name  string
		call  func() ([]string, error)
		want  []string
		check func(error) bool
	}{
		{"own list", func() ([]string, error) { return e.m.Users().Get(ctx, plain, "") }, []string{}, nil},
		{"other's list needs user_management", func() ([]string, error) { return e.m.Users().Get(ctx, plain, "x@example.com") },
			nil, func(err error) bool { return errors.Is(err, auth.ErrForbidden) }},
		{"manager reads", func() ([]string, error) { return e.m.Users().Get(ctx, mgr, "X@example.com") }, []string{"baker"}, nil},
		{"plain user cannot add", func() ([]string, error) { return e.m.Users().Add(ctx, plain, "x@example.com", "read") },
			nil, func(err error) bool { return errors.Is(err, auth.ErrForbidden) }},
		{"manager adds what it holds", func() ([]string, error) { return e.m.Users().Add(ctx, mgr, "x@example.com", "write", "read") },
			[]string{"baker", "read", "write"}, nil},
		{"manager cannot add what it lacks", func() ([]string, error) { return e.m.Users().Add(ctx, mgr, "x@example.com", "announce") },
			nil, func(err error) bool {
				return errors.As(err, &deleg) && slices.Equal(deleg.Missing, []string{"announce"})
			}},
		{"manager cannot grant admin", func() ([]string, error) { return e.m.Users().Add(ctx, mgr, "mgr@example.com", "admin") },
			nil, func(err error) bool { return errors.As(err, &deleg) }},
		{"manager cannot remove what it lacks", func() ([]string, error) { return e.m.Users().Remove(ctx, mgr, "x@example.com", "baker") },
			nil, func(err error) bool { return errors.As(err, &deleg) }},
		{"set checks removals", func() ([]string, error) { return e.m.Users().Set(ctx, mgr, "x@example.com", []string{"read"}) },
			nil, func(err error) bool { return errors.As(err, &deleg) && slices.Equal(deleg.Missing, []string{"baker"}) }},
		{"set may keep what it lacks", func() ([]string, error) {
			return e.m.Users().Set(ctx, mgr, "x@example.com", []string{"baker", "read"})
		}, []string{"baker", "read"}, nil},
		{"unknown capability", func() ([]string, error) { return e.m.Users().Add(ctx, admin, "x@example.com", "nope") },
			nil, func(err error) bool { return errors.As(err, &unknown) && unknown.Name == "nope" }},
		{"bad email", func() ([]string, error) { return e.m.Users().Add(ctx, admin, "not-an-email", "read") },
			nil, func(err error) bool { return errors.Is(err, auth.ErrBadRequest) }},
		{"admin sets anything", func() ([]string, error) {
			return e.m.Users().Set(ctx, admin, "x@example.com", []string{"announce", "admin"})
		}, []string{"admin", "announce"}, nil},
		{"admin removes", func() ([]string, error) { return e.m.Users().Remove(ctx, admin, "x@example.com", "admin") },
			[]string{"announce"}, nil},
		{"guest", func() ([]string, error) { return e.m.Users().Get(ctx, auth.IdentityFrom(ctx), "") },
			nil, func(err error) bool { return errors.Is(err, auth.ErrNoIdentity) }},
	} {
		got, err := tc.call()
		if tc.check != nil {
			if err == nil || !tc.check(err) {
				t.Errorf("%s: %v, %v", tc.name, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestNewNamesAnUnregisteredStoreDriver(t *testing.T) {
	t.Parallel()
	_, err := auth.New(context.Background(), &auth.Config{
		ServerMetadataURL: "http://127.0.0.1:1/.well-known/openid-configuration",
		SecretKey:         "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=",
		ClientID:          "app",
		Store:             auth.StoreConfig{Driver: "postgres", DSN: "postgres://127.0.0.1:1/x"},
		Capabilities:      capabilities.Config{Graph: map[string][]string{"read": {}}},
	})
	var ce *auth.ConfigError
	if !errors.As(err, &ce) || ce.Key != "store.driver" || !strings.Contains(ce.Reason, "capabilities/pgstore") {
		t.Fatalf("New without the postgres driver = %v; want a store.driver error naming the package to import", err)
	}
}

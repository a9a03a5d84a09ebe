package capabilities_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
)

var bakery = map[string][]string{
	"read":            nil,
	"write":           {"read"},
	"moderate":        {"read", "write"},
	"announce":        {"read", "write"},
	"baker":           nil,
	"user_management": nil,
}

func bakeryPolicy(t *testing.T) *capabilities.Policy {
	t.Helper()
	p, err := capabilities.NewPolicy(mustGraph(t, bakery, true), capabilities.PolicyConfig{
		DefaultCapabilities: []string{"read"},
		GuestCapabilities:   []string{"write"},
		UserOverrides:       map[string][]string{"Boss@Example.com": {"admin"}, "chef@example.com": {"baker"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyEffective(t *testing.T) {
	t.Parallel()
	p := bakeryPolicy(t)
	g := p.Graph()
	tests := []struct {
		email  string
		stored []string
		want   []string
	}{
		{"nobody@example.com", nil, []string{"read"}},
		{"mod@example.com", []string{"moderate"}, []string{"moderate", "read", "write"}},
		{"boss@example.com", nil, g.Names()},
		{"BOSS@EXAMPLE.COM", nil, g.Names()},
		{"chef@example.com", []string{"announce"}, []string{"announce", "baker", "read", "write"}},
	}
	for _, tt := range tests {
		s, err := p.Effective(tt.email, tt.stored)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.SetNames(s); !slices.Equal(got, tt.want) {
			t.Errorf("Effective(%q, %q) = %q; want %q", tt.email, tt.stored, got, tt.want)
		}
	}
	if got := g.SetNames(p.Guest()); !slices.Equal(got, []string{"read", "write"}) {
		t.Errorf("Guest = %q; want closed [read write]", got)
	}
	_, err := p.Effective("x@example.com", []string{"gone"})
	var u *capabilities.UnknownCapabilityError
	if !errors.As(err, &u) || u.Name != "gone" || u.Email != "x@example.com" {
		t.Errorf("Effective with an unknown stored name: %v", err)
	}
}

func TestPolicyDelegation(t *testing.T) {
	t.Parallel()
	p := bakeryPolicy(t)
	g := p.Graph()
	set := func(names ...string) capabilities.Set {
		s, err := g.Set(names...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name    string
		manager capabilities.Set
		caps    []string
		missing []string
	}{
		{"holds it", set("user_management", "baker"), []string{"baker"}, nil},
		{"implied counts", set("user_management", "moderate"), []string{"write", "read"}, nil},
		{"admin holds all", set("admin"), []string{"baker", "announce", "admin"}, nil},
		{"lacks some", set("user_management", "write"), []string{"read", "moderate", "baker"}, []string{"baker", "moderate"}},
		{"cannot grant admin", set("user_management", "moderate", "announce", "baker", "read", "write"), []string{"admin"}, []string{"admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.CheckDelegation(tt.manager, tt.caps)
			if tt.missing == nil {
				if err != nil {
					t.Fatalf("CheckDelegation = %v; want nil", err)
				}
				return
			}
			var d *capabilities.DelegationError
			if !errors.As(err, &d) || !slices.Equal(d.Missing, tt.missing) || !errors.Is(err, capabilities.ErrDelegation) {
				t.Fatalf("CheckDelegation = %v; want missing %q", err, tt.missing)
			}
		})
	}
	if err := p.CheckDelegation(set("admin"), []string{"nope"}); !errors.Is(err, capabilities.ErrUnknownCapability) {
		t.Errorf("unknown name: %v", err)
	}
	// Replacing [baker, read] by [read, write] adds write and removes baker.
	err := p.CheckReplace(set("write"), []string{"baker", "read"}, []string{"read", "write"})
	var d *capabilities.DelegationError
	if !errors.As(err, &d) || !slices.Equal(d.Missing, []string{"baker"}) {
		t.Errorf("CheckReplace = %v; want baker missing", err)
	}
	if err := p.CheckReplace(set("baker", "write"), []string{"baker", "read", "moderate"}, []string{"read", "write", "moderate"}); err != nil {
		t.Errorf("CheckReplace = %v; want nil", err)
	}
}

func TestConfigPolicyErrors(t *testing.T) {
	no := false
	tests := []struct {
		name string
		cfg  capabilities.Config
		want string
	}{
		{"graph", capabilities.Config{Graph: map[string][]string{"write": {"reed"}}}, `capabilities.graph: "write" implies unknown capability "reed"`},
		{"defaults", capabilities.Config{Graph: bakery, DefaultCapabilities: []string{"x"}}, `capabilities.default_capabilities: unknown capability "x"`},
		{"guests", capabilities.Config{Graph: bakery, GuestCapabilities: []string{"read", "y"}}, `capabilities.guest_capabilities: unknown capability "y"`},
		{"overrides", capabilities.Config{Graph: bakery, UserOverrides: map[string][]string{"a@b.c": {"z"}}}, `capabilities.user_overrides: user "a@b.c": unknown capability "z"`},
		{"no auto admin", capabilities.Config{Graph: bakery, AutoAdmin: &no, DefaultCapabilities: []string{"admin"}}, `capabilities.default_capabilities: unknown capability "admin"`},
		{"override case clash", capabilities.Config{Graph: bakery, UserOverrides: map[string][]string{"a@b.c": nil, "A@b.c": nil}}, `users "A@b.c" and "a@b.c" differ only in case`},
		{"empty override email", capabilities.Config{Graph: bakery, UserOverrides: map[string][]string{" ": nil}}, `user_overrides: " " is not an email address or name@service: empty`},
		{"bad override email", capabilities.Config{Graph: bakery, UserOverrides: map[string][]string{"a@b..c": nil}}, `user_overrides: "a@b..c" is not an email address or name@service: an empty domain label`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.cfg.Policy()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want %q", err, tt.want)
			}
		})
	}
	p, err := capabilities.Config{Graph: bakery, DefaultCapabilities: []string{"read"}}.Policy()
	if err != nil || !p.Graph().AutoAdmin() {
		t.Fatalf("valid config: %v", err)
	}
}

func TestEffectiveCacheSeesChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := bakeryPolicy(t)
	g := p.Graph()
	store := memstore.New(g)
	cache := capabilities.NewEffectiveCache(p, store, 2)
	lookup := func(email string) []string {
		t.Helper()
		s, err := cache.Effective(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return g.SetNames(s)
	}
	if got := lookup("u@example.com"); !slices.Equal(got, []string{"read"}) {
		t.Fatalf("before = %q", got)
	}
	if _, err := store.Add(ctx, "u@example.com", "moderate"); err != nil {
		t.Fatal(err)
	}
	if got := lookup("U@example.com"); !slices.Equal(got, []string{"moderate", "read", "write"}) {
		t.Fatalf("after Add = %q", got)
	}
	for _, e := range []string{"a@x", "b@x", "c@x"} { // overflows the 2 entries
		lookup(e)
	}
	if _, err := store.Remove(ctx, "u@example.com", "moderate"); err != nil {
		t.Fatal(err)
	}
	if got := lookup("u@example.com"); !slices.Equal(got, []string{"read"}) {
		t.Fatalf("after Remove = %q", got)
	}
}

func TestEffectiveCacheConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := bakeryPolicy(t)
	g := p.Graph()
	store := memstore.New(g)
	cache := capabilities.NewEffectiveCache(p, store, 16)
	baker, _ := g.Lookup("baker")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			if i%2 == 0 {
				store.Add(ctx, "u@example.com", "baker")
			} else {
				store.Remove(ctx, "u@example.com", "baker")
			}
		}
		store.Add(ctx, "u@example.com", "baker")
	}()
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					return
				default:
					cache.Effective(ctx, "u@example.com")
				}
			}
		}()
	}
	<-done
	s, err := cache.Effective(ctx, "u@example.com")
	if err != nil || !s.Has(baker) {
		t.Fatalf("after the last Add: %v, %v; want baker held", g.SetNames(s), err)
	}
}

package clientcreds_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
)

// TestThrottleConfig: the grant's keys of throttle: sit beside auth's
// login_starts in one mapping, each read by its owner in one run.
func TestThrottleConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		yml   string
		want  clientcreds.ThrottleConfig
		login int
	}{
		{"", clientcreds.ThrottleConfig{ClientFailures: 10, AddressFailures: 30, SecretCheckQueue: 32}, 60},
		{"throttle: {client_failures: 5}\n", clientcreds.ThrottleConfig{ClientFailures: 5, AddressFailures: 15, SecretCheckQueue: 32}, 60},
		{"throttle: {address_failures: 100, secret_check_queue: 1, login_starts: 1000}\n",
			clientcreds.ThrottleConfig{ClientFailures: 10, AddressFailures: 100, SecretCheckQueue: 1}, 1000},
	} {
		cfg, cc, err := loadCC(t, "", ccYAML+tc.yml)
		if err != nil {
			t.Fatalf("%q: %v", tc.yml, err)
		}
		if cc.Throttle != tc.want || cfg.Throttle.LoginStarts != tc.login {
			t.Errorf("%q: %+v, login_starts %d; want %+v, %d", tc.yml, cc.Throttle, cfg.Throttle.LoginStarts, tc.want, tc.login)
		}
		if err := cc.CheckConfig(cfg); err != nil || cc.Throttle != tc.want {
			t.Errorf("%q: checking twice: %v %+v", tc.yml, err, cc.Throttle)
		}
	}
	for _, tc := range []struct{ name, yml, key string }{
		{"negative", "throttle: {client_failures: -1}\n", "throttle.client_failures"},
		{"queue", "throttle: {secret_check_queue: -5}\n", "throttle.secret_check_queue"},
		{"address below client", "throttle: {client_failures: 20, address_failures: 20}\n", "throttle.address_failures"},
		{"address below default client", "throttle: {address_failures: 5}\n", "throttle.address_failures"},
		{"typo", "throttle: {client_failure: 5}\n", "throttle.client_failure"},
		{"login and client", "throttle: {login_starts: -1, client_failures: -1}\n", "throttle.client_failures"},
	} {
		_, _, err := loadCC(t, "", ccYAML+tc.yml)
		var ce *auth.ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.key+": ") {
			t.Errorf("%s: %v; want a problem with %s", tc.name, err, tc.key)
		}
	}
	// Both owners' problems of one mapping come back in one run.
	_, _, err := loadCC(t, "", ccYAML+"throttle: {login_starts: -1, client_failures: -1}\n")
	if err == nil || !strings.Contains(err.Error(), "throttle.login_starts") || !strings.Contains(err.Error(), "throttle.client_failures") {
		t.Errorf("one run: %v", err)
	}
}

// TestConfigStringRedacts: printing the section leaks no client secret.
func TestConfigStringRedacts(t *testing.T) {
	t.Parallel()
	_, cc, err := loadCC(t, "", ccYAML+"clients: {cron: {client_secret: plain-s3cret}}\n")
	if err != nil {
		t.Fatal(err)
	}
	if s := cc.String(); strings.Contains(s, "plain-s3cret") || !strings.Contains(s, "[redacted]") {
		t.Errorf("String() = %s", s)
	}
}

// store.read_only sits beside auth's store.driver and store.dsn, each
// read by its owner; with the file store the grant refuses writes.
func TestStoreReadOnlyConfig(t *testing.T) {
	t.Parallel()
	cfg, cc, err := loadCC(t, "", ccYAML+"store:\n  driver: file\n  read_only: true\nclients:\n  cfg:\n    client_secret: s\n")
	if err != nil {
		t.Fatal(err)
	}
	if !cc.Store.ReadOnly || cfg.Store.Driver != "file" {
		t.Fatalf("store %+v, read_only %v", cfg.Store, cc.Store.ReadOnly)
	}
	_, g, err := start(t, cfg, cc, clientcreds.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.ClientStore().PutClient(context.Background(), store.Client{ID: "new"}); !errors.Is(err, clientcreds.ErrClientsReadOnly) {
		t.Fatalf("write: %v", err)
	}
	if _, _, err := loadCC(t, "", ccYAML+"store:\n  read_only: maybe\n"); err == nil || !strings.Contains(err.Error(), "store.read_only") {
		t.Fatalf("read_only: maybe: %v", err)
	}
	if _, _, err := loadCC(t, "", ccYAML+"store:\n  read_onyl: true\n"); err == nil || !strings.Contains(err.Error(), "store.read_onyl") {
		t.Fatalf("typo: %v", err)
	}
}

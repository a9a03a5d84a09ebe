package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
)

func TestKeygen(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, tc := range []struct {
		args  []string
		bytes int
	}{
		{[]string{"keygen"}, auth.MinSecretKeyBytes},
		{[]string{"keygen"}, auth.MinSecretKeyBytes},
		{[]string{"keygen", "--bytes", "64"}, 64},
	} {
		code, stdout, stderr := cli(t, tc.args...)
		if code != 0 || stderr != "" {
			t.Fatalf("%q: status %d, stderr %q", tc.args, code, stderr)
		}
		key := strings.TrimSuffix(stdout, "\n")
		raw, err := base64.RawURLEncoding.Strict().DecodeString(key)
		if err != nil || len(raw) != tc.bytes {
			t.Errorf("%q printed %q: %d bytes, %v; want %d bytes", tc.args, key, len(raw), err, tc.bytes)
		}
		if seen[key] {
			t.Errorf("the same key twice: %q", key)
		}
		seen[key] = true
		if _, err := auth.MintToken(&auth.Config{SecretKey: key}, auth.TokenInfo{Kind: auth.KindUser, Subject: "a@example.com", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Errorf("the key does not seal a token: %v", err)
		}
		if _, err := auth.ParseConfig([]byte("force_user: dev@example.com\ninsecure_allow_force_user: true\nsecret_key: " + key + "\n")); err != nil {
			t.Errorf("a configuration refuses the key: %v", err)
		}
	}
}

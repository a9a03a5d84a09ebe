package auth

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestConfigRedacted(t *testing.T) {
	t.Parallel()
	cfg, err := parse(t, minimal+"client_secret: CLIENTSECRET\nprevious_secret_keys: [\""+testKey2+"\"]\nstore: {driver: postgres, dsn: \"postgres://u:DBPASS@db/x\"}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "cfg", cfg, "value", *cfg)
	for _, out := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", *cfg), cfg.String(), logs.String()} {
		for _, secret := range []string{testKey, testKey2, "CLIENTSECRET", "DBPASS"} {
			if strings.Contains(out, secret) {
				t.Errorf("%q leaked in %s", secret, out)
			}
		}
		if !strings.Contains(out, "idp.example.com") {
			t.Errorf("non-secret field missing from %s", out)
		}
	}
	if cfg.SecretKey != testKey {
		t.Error("printing changed the config")
	}
}

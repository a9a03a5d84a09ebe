package gateway_test

import (
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/gateway"
)

// Without listen, the gateway takes loopback only, as oauth2-proxy does:
// a proxy or a port mapping in front decides who reaches it.
func TestDefaultListenIsLoopback(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(validYAML, "listen: 127.0.0.1:8080\n", "", 1)
	cfg, err := gateway.ParseConfig([]byte(yaml), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:4180" || gateway.DefaultListen != "127.0.0.1:4180" {
		t.Errorf("listen %q, DefaultListen %q; want 127.0.0.1:4180", cfg.Listen, gateway.DefaultListen)
	}
}

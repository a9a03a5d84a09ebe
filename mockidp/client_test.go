package mockidp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadClients(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "clients.yaml")
	if err := os.WriteFile(path, []byte(clientsYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	clients, err := LoadClients(path)
	if err != nil {
		t.Fatal(err)
	}
	c1 := clients["client1"]
	if c1.Secret != "client1-secret" || c1.Audience != "test-api" || c1.Sub != "client1-subject" ||
		strings.Join(c1.Roles, ",") != "sales_manager" || strings.Join(c1.Groups, ",") != "east,retail" {
		t.Errorf("client1 = %+v", c1)
	}
	if !clients["webapp"].RequirePKCE || !clients["spa"].public() {
		t.Errorf("webapp/spa = %+v %+v", clients["webapp"], clients["spa"])
	}
	if _, ok := clients[DemoClientID]; ok {
		t.Error("a clients file must replace the demo client")
	}
	if _, err := LoadClients(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "mockidp:") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseClientsErrors(t *testing.T) {
	t.Parallel()
	for name, yml := range map[string]string{
		"empty":           "",
		"no clients key":  "other: 1\n",
		"unknown key":     "clients:\n  a:\n    client_secrett: x\n",
		"bad roles":       "clients:\n  a:\n    roles: {x: 1}\n",
		"relative URI":    "clients:\n  a:\n    redirect_uris: [/cb]\n",
		"fragment in URI": "clients:\n  a:\n    redirect_uris: ['http://127.0.0.1/cb#x']\n",
		"colon in id":     "clients:\n  'a:b':\n    client_secret: x\n",
		"not YAML":        "clients: [\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseClients([]byte(yml)); err == nil || !strings.HasPrefix(err.Error(), "mockidp:") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	rk, ek := testKeys(t)
	for name, o := range map[string]Options{
		"algorithm":       {Algorithm: "HS256"},
		"key type":        {Algorithm: "ES256", SigningKey: rk},
		"key type RSA":    {Algorithm: "RS256", SigningKey: ek},
		"issuer":          {Issuer: "ftp://x", SigningKey: rk},
		"user without id": {Users: []User{{Name: "x"}}, SigningKey: rk},
		"bad client":      {Clients: map[string]Client{"": {}}, SigningKey: rk},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

func TestRedirectAllowed(t *testing.T) {
	t.Parallel()
	open := Client{}
	reg := Client{RedirectURIs: []string{"https://app.example.com/auth", "http://127.0.0.1/cb"}}
	for _, tc := range []struct {
		c    Client
		uri  string
		want bool
	}{
		{open, "http://127.0.0.1:8080/cb", true},
		{open, "http://localhost/x?y=1", true},
		{open, "http://[::1]:1/cb", true},
		{open, "http://127.5.6.7/cb", true},
		{open, "https://example.com/cb", false},
		{open, "http://127.0.0.1.example.com/cb", false},
		{open, "http://user@127.0.0.1/cb", false},
		{open, "javascript:alert(1)", false},
		{open, "//127.0.0.1/cb", false},
		{open, "http://127.0.0.1/cb#f", false},
		{reg, "https://app.example.com/auth", true},
		{reg, "https://app.example.com/auth/", false},
		{reg, "https://app.example.com:444/auth", false},
		{reg, "http://127.0.0.1:4567/cb", true},
		{reg, "http://127.0.0.1:4567/other", false},
		{reg, "http://localhost:4567/cb", false},
	} {
		if got := tc.c.redirectAllowed(tc.uri, false); got != tc.want {
			t.Errorf("redirectAllowed(%q) with %v = %v; want %v", tc.uri, tc.c.RedirectURIs, got, tc.want)
		}
	}
}

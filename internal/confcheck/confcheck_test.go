package confcheck

import (
	"strings"
	"testing"
)

func TestLoopbackHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "app.localhost": true, "127.0.0.1": true, "127.9.9.9": true,
		"::1": true, "::ffff:127.0.0.1": true,
		"": false, "localhost.example.com": false, "example.com": false, "10.0.0.1": false, "::": false,
		"0.0.0.0": false, "127.0.0.1.nip.io": false, "[::1]": false,
	} {
		if got := LoopbackHost(host); got != want {
			t.Errorf("LoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestServiceURL(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]string{
		"https://idp.example.com/":          "",
		"http://127.0.0.1:9000/issuer":      "",
		"http://[::1]:9000":                 "",
		"http://idp.localhost:8080":         "",
		"http://idp.example.com/":           "loopback",
		"https://user:pw@idp.example.com/":  "user info",
		"idp.example.com":                   "absolute",
		"ftp://idp.example.com/":            "absolute",
		"https://":                          "absolute",
		"https://idp.example.com/%zz":       "not a URL",
		"http://127.0.0.1.evil.example.com": "loopback",
	} {
		got := ServiceURL(s)
		if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("ServiceURL(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestHasControl(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"read:pets": false, "": false, "é": false, "a\nb": true, "a\x7f": true, "\t": true} {
		if got := HasControl(s); got != want {
			t.Errorf("HasControl(%q) = %v, want %v", s, got, want)
		}
	}
}

package gateway

import (
	"net/http"
	"strings"
	"testing"
)

// setCookieName reads the name a browser keeps, nameless cookies
// included (their bare value is sent back as "name=value").
func TestSetCookieName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ line, want string }{
		{"a=b", "a"},
		{"a=b; Path=/; Secure", "a"},
		{" \ta \t= b", "a"},
		{"a", "a"},
		{"a; Path=/", "a"},
		{"=a=b; Path=/", "a"},
		{"= a =b", "a"},
		{"=", ""},
		{"", ""},
		{"__Host-x=1; Path=/", "__Host-x"},
	} {
		if got := setCookieName(tt.line); got != tt.want {
			t.Errorf("setCookieName(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

// Wherever Go's parser finds a named cookie, setCookieName finds the same
// name.
func FuzzSetCookieName(f *testing.F) {
	for _, s := range []string{"a=b", "a=b; Path=/", "=a=b", "a", " a = b ;x", "__Host-x=1; Secure"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		name := setCookieName(line)
		if strings.ContainsAny(line, "\r\n") {
			return // not a header line
		}
		if c, err := http.ParseSetCookie(line); err == nil && c.Name != name {
			t.Errorf("setCookieName(%q) = %q; net/http reads %q", line, name, c.Name)
		}
	})
}

// Each Set-Cookie of the gateway's cookies goes, the others stay in
// order.
func TestDropSetCookies(t *testing.T) {
	t.Parallel()
	f := newCookieFilter("__Host-oauthgate_session")
	h := http.Header{"Set-Cookie": {"a=1", "__Host-oauthgate_session=x; Path=/", "b=2", "__secure-oauthgate_session_offline=y"}}
	dropped := f.dropSetCookies(h)
	if got := strings.Join(h["Set-Cookie"], "|"); got != "a=1|b=2" {
		t.Errorf("kept %q", got)
	}
	if got := strings.Join(dropped, "|"); got != "__Host-oauthgate_session|__secure-oauthgate_session_offline" {
		t.Errorf("dropped %q", got)
	}
	h = http.Header{"Set-Cookie": {"oauthgate_session=x"}}
	if f.dropSetCookies(h); h["Set-Cookie"] != nil {
		t.Errorf("left %q", h["Set-Cookie"])
	}
	h = http.Header{"Other": {"x"}}
	if dropped := f.dropSetCookies(h); dropped != nil || len(h) != 1 {
		t.Errorf("without Set-Cookie: %q %v", dropped, h)
	}
}

package auth

import "testing"

// TestToken68Char checks the table against RFC 7235's token68 grammar,
// byte by byte.
func TestToken68Char(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		b := byte(c)
		want := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
			b == '-' || b == '.' || b == '_' || b == '~' || b == '+' || b == '/'
		if token68Char[b] != want {
			t.Errorf("token68Char[%q] = %v, want %v", b, token68Char[b], want)
		}
		if got := isToken68(string([]byte{b})); got != want {
			t.Errorf("isToken68(%q) = %v, want %v", b, got, want)
		}
	}
}

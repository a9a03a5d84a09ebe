package emailaddr

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"a@b.c", "a@b.c"},
		{"Alice@Example.COM", "alice@example.com"},
		{" \t\r\n\v\fbob@example.com \n", "bob@example.com"},
		{"\u212Aate@example.com", "\u212Aate@example.com"},                               // KELVIN SIGN
		{"\u212AATE@EXAMPLE.COM", "\u212Aate@example.com"},                               // only the ASCII letters fold
		{"\u0130nes@example.com", "\u0130nes@example.com"},                               // I WITH DOT ABOVE
		{"\u017Fam@example.com", "\u017Fam@example.com"},                                 // LONG S
		{"\uff2b\uff21\uff34\uff25@example.com", "\uff2b\uff21\uff34\uff25@example.com"}, // fullwidth
		{"\u00c4NNE@example.com", "\u00c4nne@example.com"},
		{"\u00a0eve@example.com\u0085", "\u00a0eve@example.com\u0085"}, // non-ASCII space stays
		{"\xffA@example.com", "\xffa@example.com"},                     // invalid UTF-8 is kept as it is
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = Normalize("kate@example.com") }); n != 0 {
		t.Errorf("Normalize of a normal address: %v allocations; want 0", n)
	}
}

// FuzzNormalize checks the properties the callers rely on: idempotent, no
// ASCII upper case left, every non-ASCII byte kept in place, and equal to
// strings.ToLower (after trimming) on ASCII input.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Alice@Example.COM", " x@y ", "\u212Aate@example.com", "\u0130", "\xff\xfeA", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Normalize(s)
		if Normalize(got) != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, Normalize(got))
		}
		trimmed := strings.Trim(s, " \t\n\v\f\r")
		if len(got) != len(trimmed) {
			t.Fatalf("Normalize(%q) = %q: length changed beyond the trim", s, got)
		}
		for i := 0; i < len(got); i++ {
			c, o := got[i], trimmed[i]
			switch {
			case 'A' <= c && c <= 'Z':
				t.Fatalf("Normalize(%q) = %q: upper case left", s, got)
			case o >= utf8.RuneSelf && c != o:
				t.Fatalf("Normalize(%q) = %q: non-ASCII byte %d changed", s, got, i)
			}
		}
		if isASCII(trimmed) && got != strings.ToLower(trimmed) {
			t.Fatalf("Normalize(%q) = %q; want %q", s, got, strings.ToLower(trimmed))
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

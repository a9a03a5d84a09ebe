package capabilities_test

import (
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
)

// lookalikes are addresses that a Unicode case mapping turns into (or
// folds together with) an ASCII one, each beside the ASCII address.
var lookalikes = []struct{ name, email, ascii string }{
	{"KELVIN SIGN", "\u212Aate@example.com", "kate@example.com"},
	{"LONG S", "\u017Fam@example.com", "sam@example.com"},
	{"I WITH DOT ABOVE", "\u0130nes@example.com", "ines@example.com"},
	{"fullwidth", "\uff2b\uff21\uff34\uff25@example.com", "kate@example.com"},
	{"in the domain", "kate@\u212Axample.com", "kate@kxample.com"},
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Alice@Example.COM", "alice@example.com"},
		{"  bob@example.com\t\n", "bob@example.com"},
		{"bot@service", "bot@service"},
		{"\u212Aate@example.com", "\u212Aate@example.com"},
		{"\u212AATE@EXAMPLE.COM", "\u212Aate@example.com"}, // ASCII letters fold, the sign stays
		{"\u0130nes@example.com", "\u0130nes@example.com"}, // not "ines" nor "i̇nes"
		{"\u017Fam@example.com", "\u017Fam@example.com"},
		{"\uff2b\uff21\uff34\uff25@example.com", "\uff2b\uff21\uff34\uff25@example.com"}, // not fullwidth lower case
		{"\u00c4nne@example.com", "\u00c4nne@example.com"},                               // Ä keeps its case: a non-ASCII letter never folds
		{"\u00a0eve@example.com\u2003", "\u00a0eve@example.com\u2003"},                   // only ASCII space is trimmed
		{"", ""},
	} {
		if got := capabilities.NormalizeEmail(tc.in); got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	for _, l := range lookalikes {
		if capabilities.NormalizeEmail(l.email) == capabilities.NormalizeEmail(l.ascii) ||
			capabilities.NormalizeEmail(l.email) == capabilities.NormalizeEmail(strings.ToUpper(l.ascii)) {
			t.Errorf("%s: %q is compared equal to %q", l.name, l.email, l.ascii)
		}
	}
}

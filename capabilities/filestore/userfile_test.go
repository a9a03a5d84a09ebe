package filestore_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities/filestore"
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

// TestUserFileLookalikes: in the user file, a lookalike of an address is
// another user, not the same one written in another case.
func TestUserFileLookalikes(t *testing.T) {
	t.Parallel()
	g := mustGraph(t, bakery, true)
	for _, l := range lookalikes {
		file := l.ascii + ": [read]\n\"" + l.email + "\": [write]\n"
		got, err := filestore.DecodeUserFile([]byte(file), g, "caps.yaml")
		if err != nil {
			t.Errorf("%s: %v", l.name, err)
			continue
		}
		if len(got) != 2 || !slices.Equal(got[l.ascii], []string{"read"}) {
			t.Errorf("%s: %q; want %s with read and the lookalike apart", l.name, got, l.ascii)
		}
	}
	// ASCII case still makes two keys the same user.
	if _, err := filestore.DecodeUserFile([]byte("kate@example.com: [read]\nKATE@example.com: [write]\n"), g, "caps.yaml"); err == nil ||
		!strings.Contains(err.Error(), "differ only in case") {
		t.Errorf("two spellings of kate: err = %v; want differ only in case", err)
	}
}

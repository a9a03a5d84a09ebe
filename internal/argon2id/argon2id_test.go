package argon2id

import (
	"errors"
	"strings"
	"testing"
)

func TestHashCheck(t *testing.T) {
	h, err := Hash("correct horse")
	if err != nil || !IsHash(h) || Validate(h) != nil {
		t.Fatalf("Hash = %q, %v", h, err)
	}
	for _, tc := range []struct {
		secret string
		want   bool
	}{{"correct horse", true}, {"correct hors", false}, {"", false}} {
		if ok, err := Check(h, tc.secret); ok != tc.want || err != nil {
			t.Errorf("Check(%q) = %v, %v; want %v", tc.secret, ok, err, tc.want)
		}
	}
	var me *MalformedError
	for _, bad := range []string{"plain", Prefix + "v=19$m=1,t=1,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43), Prefix + "x"} {
		if _, err := Check(bad, "x"); !errors.As(err, &me) {
			t.Errorf("Check(%q) error = %v, want a MalformedError", bad, err)
		}
	}
	if _, err := Hash(""); err == nil {
		t.Error("Hash of an empty secret succeeded")
	}
}

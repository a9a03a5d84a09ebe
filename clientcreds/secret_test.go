package clientcreds

import (
	"errors"
	"strings"
	"testing"
)

func TestClientSecretHash(t *testing.T) {
	h, err := HashClientSecret("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !IsClientSecretHash(h) || strings.Contains(h, "s3cret") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := HashClientSecret("s3cret")
	if h == h2 {
		t.Fatal("two hashes of one secret are equal: salt not random")
	}
	for _, tc := range []struct {
		secret string
		want   bool
	}{{"s3cret", true}, {"s3cre", false}, {"s3cret ", false}, {"", false}} {
		ok, err := CheckClientSecret(h, tc.secret)
		if err != nil || ok != tc.want {
			t.Errorf("CheckClientSecret(%q) = %v, %v; want %v", tc.secret, ok, err, tc.want)
		}
	}
}

func TestClientSecretHashMalformed(t *testing.T) {
	good, _ := HashClientSecret("x")
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"plaintext":   "client1-secret",
		"bcrypt":      "$2a$10$abcdefghijklmnopqrstuv",
		"short":       "$argon2id$v=19$m=19456,t=2,p=1$abc",
		"version":     strings.Replace(good, "v=19", "v=16", 1),
		"huge memory": strings.Replace(good, "m=19456", "m=4194304", 1),
		"zero time":   strings.Replace(good, "t=2", "t=0", 1),
		"many lanes":  strings.Replace(good, "p=1", "p=255", 1),
		"params junk": strings.Replace(good, "p=1", "p=1,x=2", 1),
		"bad salt":    strings.Join([]string{parts[0], parts[1], parts[2], parts[3], "!!!", parts[5]}, "$"),
		"short hash":  strings.Join([]string{parts[0], parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
	} {
		if _, err := CheckClientSecret(h, "x"); !errors.Is(err, ErrBadSecretHash) {
			t.Errorf("%s: err = %v, want ErrBadSecretHash", name, err)
		}
	}
}

func BenchmarkCheckClientSecret(b *testing.B) {
	h, _ := HashClientSecret("s3cret")
	for b.Loop() {
		if ok, _ := CheckClientSecret(h, "s3cret"); !ok {
			b.Fatal("no match")
		}
	}
}

package envelope

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/internal/confdecode"
)

const (
	testKey  = "k7Jq9vXyPz3mN2bR8tW5cL1dF6gH4sA0eU9iO7pQ2wE="
	testKey2 = "Zx8Cv7Bn6Mm5Ll4Kk3Jj2Hh1Gg0Ff9Dd8Ss7Aa6Qq5W="
	testKey3 = "pO9iU8yT7rE6wQ5aS4dF3gH2jK1lZ0xC9vB8nM7qW6E="
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newTestCodec(t testing.TB, current string, previous ...string) *Codec {
	t.Helper()
	c, err := NewCodec(current, previous)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sampleClaims() Claims {
	return Claims{
		Kind:         TokenUser,
		Subject:      "boss@corleone.com",
		ID:           "AAECAwQFBgcICQoLDA0ODw",
		IssuedAt:     testNow,
		ExpiresAt:    testNow.Add(30 * 24 * time.Hour),
		Capabilities: []string{"read", "write"},
		RefreshToken: "1//0refresh-token-from-the-idp",
		CheckedAt:    testNow.Add(time.Minute),
		Extra:        []byte{0, 1, 2},
	}
}

func equalClaims(a, b Claims) bool {
	return a.Kind == b.Kind && a.Subject == b.Subject && a.ID == b.ID &&
		a.IssuedAt.Equal(b.IssuedAt) && a.ExpiresAt.Equal(b.ExpiresAt) &&
		slices.Equal(a.Capabilities, b.Capabilities) && a.RefreshToken == b.RefreshToken &&
		a.CheckedAt.Equal(b.CheckedAt) && string(a.Extra) == string(b.Extra)
}

func TestTokenRoundTripEveryPurpose(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t, testKey)
	minimal := Claims{Kind: TokenService, Subject: "bot@service", IssuedAt: testNow, ExpiresAt: testNow.Add(time.Hour)}
	for p := Purpose(1); p.valid(); p++ {
		for _, claims := range []Claims{sampleClaims(), minimal} {
			tok, err := c.Seal(p, claims)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			got, err := c.Open(p, tok, testNow)
			if err != nil {
				t.Fatalf("%s: Open: %v", p, err)
			}
			if claims.ID == "" {
				if len(got.ID) != 22 {
					t.Errorf("%s: generated ID %q", p, got.ID)
				}
				claims.ID = got.ID
			}
			if !equalClaims(got, claims) {
				t.Errorf("%s: got %+v\nwant %+v", p, got, claims)
			}
		}
	}
}

func TestTokenCrossPurposeRejected(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t, testKey)
	for p := Purpose(1); p.valid(); p++ {
		tok, err := c.Seal(p, sampleClaims())
		if err != nil {
			t.Fatal(err)
		}
		for q := Purpose(1); q.valid(); q++ {
			if q == p {
				continue
			}
			if _, err := c.Open(q, tok, testNow); !errors.Is(err, ErrTokenInvalid) {
				t.Errorf("sealed for %s, opened for %s: err = %v; want ErrTokenInvalid", p, q, err)
			}
		}
	}
}

func TestTokenTamperRejected(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t, testKey)
	tok, err := c.Seal(PurposeUserToken, sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(tok) {
		for _, repl := range []byte{alphabet[(strings.IndexByte(alphabet, tok[i])+1)%64], '=', '.', '\n', '+'} {
			bad := tok[:i] + string(repl) + tok[i+1:]
			if _, err := c.Open(PurposeUserToken, bad, testNow); err == nil {
				t.Fatalf("tampered byte %d (%q) opened", i, repl)
			} else if !errors.Is(err, ErrTokenInvalid) && !errors.Is(err, ErrTokenMalformed) {
				t.Fatalf("tampered byte %d: err = %v", i, err)
			}
		}
	}
	// Every bit of the decoded token, too.
	raw, _ := tokenEncoding.DecodeString(tok)
	for i := range raw {
		for bit := range 8 {
			mod := slices.Clone(raw)
			mod[i] ^= 1 << bit
			if _, err := c.Open(PurposeUserToken, tokenEncoding.EncodeToString(mod), testNow); err == nil {
				t.Fatalf("flipped bit %d of byte %d opened", bit, i)
			}
		}
	}
}

func TestTokenTruncatedAndPadded(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t, testKey)
	tok, err := c.Seal(PurposeServiceToken, sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(tok) {
		if _, err := c.Open(PurposeServiceToken, tok[:n], testNow); err == nil {
			t.Fatalf("truncated to %d opened", n)
		}
	}
	for _, bad := range []string{tok + "=", tok + "==", tok + "A", tok + "\n", " " + tok, tok + " ", "\r\n" + tok,
		strings.ReplaceAll(strings.ReplaceAll(tok, "-", "+"), "_", "/")} {
		if bad == tok {
			continue
		}
		if _, err := c.Open(PurposeServiceToken, bad, testNow); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t, testKey)
	claims := sampleClaims()
	tok, err := c.Seal(PurposeUserToken, claims)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(PurposeUserToken, tok, claims.ExpiresAt.Add(-time.Second)); err != nil {
		t.Errorf("one second before expiry: %v", err)
	}
	for _, now := range []time.Time{claims.ExpiresAt, claims.ExpiresAt.Add(time.Hour)} {
		if _, err := c.Open(PurposeUserToken, tok, now); !errors.Is(err, ErrTokenExpired) {
			t.Errorf("at %v: err = %v; want ErrTokenExpired", now, err)
		}
	}
}

func TestTokenRotation(t *testing.T) {
	t.Parallel()
	old := newTestCodec(t, testKey)
	tok, err := old.Seal(PurposeUserToken, sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	rotated := newTestCodec(t, testKey2, testKey)
	if _, err := rotated.Open(PurposeUserToken, tok, testNow); err != nil {
		t.Errorf("token of a previous key: %v", err)
	}
	fresh, err := rotated.Seal(PurposeUserToken, sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Open(PurposeUserToken, fresh, testNow); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("new token opened with the old key only: %v", err)
	}
	dropped := newTestCodec(t, testKey2, testKey3)
	if _, err := dropped.Open(PurposeUserToken, tok, testNow); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("token of a dropped key: err = %v; want ErrTokenInvalid", err)
	}
}

func TestSealRejectsBadClaims(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t, testKey)
	for name, mod := range map[string]func(*Claims){
		"no kind":        func(c *Claims) { c.Kind = 0 },
		"unknown kind":   func(c *Claims) { c.Kind = 9 },
		"no subject":     func(c *Claims) { c.Subject = "" },
		"no expiry":      func(c *Claims) { c.ExpiresAt = time.Time{} },
		"expiry <= iat":  func(c *Claims) { c.ExpiresAt = c.IssuedAt },
		"huge snapshots": func(c *Claims) { c.Capabilities = make([]string, 50000) },
	} {
		claims := sampleClaims()
		mod(&claims)
		if _, err := c.Seal(PurposeUserToken, claims); err == nil {
			t.Errorf("%s: sealed", name)
		}
	}
	if _, err := c.SealBytes(Purpose(0), nil); err == nil {
		t.Error("purpose 0 sealed")
	}
	if _, err := c.OpenBytes(Purpose(99), "x"); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("purpose 99: %v", err)
	}
}

func TestNewCodecRejectsWeakKeys(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		current  string
		previous []string
		key      string
	}{
		"empty":             {"", nil, "secret_key"},
		"short":             {"change-me", nil, "secret_key"},
		"16 bytes base64":   {"c2hvcnQtc2hvcnQtc2hvcg==", nil, "secret_key"},
		"16 bytes hex":      {"00112233445566778899aabbccddeeff", nil, "secret_key"},
		"repetitive":        {strings.Repeat("ab", 40), nil, "secret_key"},
		"weak previous":     {testKey, []string{"short"}, "previous_secret_keys[0]"},
		"previous repeated": {testKey, []string{testKey2, testKey}, "previous_secret_keys[1]"},
	} {
		_, err := NewCodec(tc.current, tc.previous)
		var ce *confdecode.Error
		if !errors.As(err, &ce) || ce.Key != tc.key {
			t.Errorf("%s: err = %v; want ConfigError on %s", name, err, tc.key)
		}
	}
	if err := CheckSecretKey(""); err == nil || !strings.Contains(err.Error(), "oauthgate keygen") {
		t.Errorf("missing key error %v does not say how to make one", err)
	}
	for _, good := range []string{testKey, strings.Repeat("0123456789abcdef", 4), "a passphrase that is long enough to pass, surely"} {
		if err := CheckSecretKey(good); err != nil {
			t.Errorf("CheckSecretKey(%q) = %v", good, err)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	c := newTestCodec(b, testKey)
	claims := sampleClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Seal(PurposeUserToken, claims); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	c := newTestCodec(b, testKey)
	tok, err := c.Seal(PurposeUserToken, sampleClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(tok)))
	for b.Loop() {
		if _, err := c.Open(PurposeUserToken, tok, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenRotated(b *testing.B) {
	c := newTestCodec(b, testKey2, testKey3, testKey)
	tok, err := newTestCodec(b, testKey).Seal(PurposeUserToken, sampleClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Open(PurposeUserToken, tok, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

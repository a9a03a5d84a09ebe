package envelope

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzTokenOpen: arbitrary input never panics and never opens.
func FuzzTokenOpen(f *testing.F) {
	c := newTestCodec(f, testKey)
	tok, err := c.Seal(PurposeUserToken, sampleClaims())
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "A", tok, tok + "=", tok[:len(tok)-1], strings.ToUpper(tok), "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for p := Purpose(1); p.valid(); p++ {
			got, err := c.Open(p, s, testNow)
			if err == nil {
				// Only the seeded token (sealed again, with a new nonce, in
				// each fuzzing process) may open.
				if p != PurposeUserToken || !equalClaims(got, sampleClaims()) {
					t.Fatalf("random input %q opened as %s", s, p)
				}
			} else if !errors.Is(err, ErrTokenMalformed) && !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("unexpected error kind: %v", err)
			}
		}
	})
}

// FuzzTokenRoundTrip: whatever Seal accepts, Open returns unchanged, and a
// changed byte never opens.
func FuzzTokenRoundTrip(f *testing.F) {
	c := newTestCodec(f, testKey)
	f.Add(uint8(1), "boss@corleone.com", "id", int64(0), int64(3600), "read\x00write", "refresh", []byte("x"), uint16(3))
	f.Add(uint8(2), "bot@service", "", int64(-5), int64(1), "", "", []byte(nil), uint16(0))
	f.Fuzz(func(t *testing.T, kind uint8, subject, id string, iat, ttl int64, caps, refresh string, extra []byte, flip uint16) {
		claims := Claims{
			Kind: TokenKind(kind), Subject: subject, ID: id,
			IssuedAt: testNow.Add(time.Duration(iat) * time.Second), ExpiresAt: testNow.Add(time.Duration(iat+ttl) * time.Second),
			RefreshToken: refresh, Extra: extra,
		}
		if caps != "" {
			claims.Capabilities = strings.Split(caps, "\x00")
		}
		tok, err := c.Seal(PurposeServiceToken, claims)
		if err != nil {
			return
		}
		now := claims.IssuedAt
		got, err := c.Open(PurposeServiceToken, tok, now)
		if claims.ExpiresAt.Unix() <= now.Unix() {
			if !errors.Is(err, ErrTokenExpired) {
				t.Fatalf("expired claims: err = %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if claims.ID == "" {
			claims.ID = got.ID
		}
		if len(claims.Extra) == 0 {
			claims.Extra = got.Extra
		}
		if !equalClaims(got, claims) {
			t.Fatalf("got %+v; want %+v", got, claims)
		}
		i := int(flip) % len(tok)
		c2 := byte('A')
		if tok[i] == 'A' {
			c2 = 'B'
		}
		if _, err := c.Open(PurposeServiceToken, tok[:i]+string(c2)+tok[i+1:], now); err == nil {
			t.Fatalf("changed character %d opened", i)
		}
	})
}

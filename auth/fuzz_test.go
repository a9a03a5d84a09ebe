package auth

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/internal/confdecode"
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
		claims := TokenClaims{
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

// FuzzBearerToken: never panics; what it returns is a token68 that appears
// verbatim at the end of the only Authorization header.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer a=", "Bearer  x", "Basic x", "Bearer a,b", "Bearer", ""} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, v string, twice bool) {
		h := http.Header{"Authorization": {v}}
		if twice {
			h["Authorization"] = append(h["Authorization"], v)
		}
		tok, ok := BearerToken(h)
		if !ok {
			if tok != "" {
				t.Fatalf("rejected but returned %q", tok)
			}
			return
		}
		if twice || tok == "" || !strings.HasSuffix(v, tok) || !strings.EqualFold(v[:7], "bearer ") {
			t.Fatalf("BearerToken(%q) = %q", v, tok)
		}
		if strings.ContainsAny(tok, " \t,\"") || strings.TrimRight(tok, "=") == "" {
			t.Fatalf("BearerToken(%q) = %q", v, tok)
		}
	})
}

// FuzzParseConfig: any input gives a config or an error, never a panic; an
// accepted config stays valid and its keys make a Codec.
func FuzzParseConfig(f *testing.F) {
	easy, err := os.ReadFile("testdata/easy-oauth.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(easy))
	f.Add(minimal)
	f.Add(minimal + "token_ttl: 1d2h\ncookie: {same_site: none}\nbase_url: https://a.example/b/\nprefix: /x/\n")
	f.Add(minimal + "client_secret: ${X:-y}\nprevious_secret_keys: [\"" + testKey2 + "\"]\n")
	f.Add("a: &a [*a, *a]\nb: *a\n")
	f.Add("secret_key: ~CRYPT~gAAAA\n")
	f.Add("capabilities: {graph: {a: [b], b: [a]}, user_file: x.yaml}\n")
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := ParseConfigWith([]byte(s), ParseOptions{LookupEnv: envMap(map[string]string{"X": "1", confdecode.PasswordEnv: "pw"})})
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error is not a *ConfigError: %v", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate again: %v", err)
		}
		if _, err := NewCodec(cfg.SecretKey, cfg.PreviousSecretKeys); err != nil {
			t.Fatalf("accepted keys make no codec: %v", err)
		}
	})
}

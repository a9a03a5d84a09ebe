package auth

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

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
// accepted config stays valid and its keys make a codec.
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
		cfg, err := parseConfig([]byte(s), confdecode.Options{LookupEnv: envMap(map[string]string{"X": "1", confdecode.PasswordEnv: "pw"})}, nil)
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
		if _, err := envelope.NewCodec(cfg.SecretKey, cfg.PreviousSecretKeys); err != nil {
			t.Fatalf("accepted keys make no codec: %v", err)
		}
	})
}

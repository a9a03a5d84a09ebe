package auth

import (
	"net/http"
	"testing"
)

func TestBearerToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		values []string
		want   string
		ok     bool
	}{
		{"plain", []string{"Bearer abc.DEF-ghi_jkl~mno+p/q"}, "abc.DEF-ghi_jkl~mno+p/q", true},
		{"lower scheme", []string{"bearer abc"}, "abc", true},
		{"upper scheme", []string{"BEARER abc"}, "abc", true},
		{"padding", []string{"Bearer abc=="}, "abc==", true},
		{"two spaces", []string{"Bearer  abc"}, "abc", true},
		{"no header", nil, "", false},
		{"empty header", []string{""}, "", false},
		{"two headers", []string{"Bearer abc", "Bearer def"}, "", false},
		{"scheme only", []string{"Bearer"}, "", false},
		{"scheme and space", []string{"Bearer "}, "", false},
		{"scheme and spaces", []string{"Bearer    "}, "", false},
		{"basic", []string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, "", false},
		{"no space", []string{"Bearerabc"}, "", false},
		{"tab", []string{"Bearer\tabc"}, "", false},
		{"trailing space", []string{"Bearer abc "}, "", false},
		{"comma list", []string{"Bearer abc, Bearer def"}, "", false},
		{"comma", []string{"Bearer abc,def"}, "", false},
		{"inner space", []string{"Bearer abc def"}, "", false},
		{"padding inside", []string{"Bearer ab=c"}, "", false},
		{"only padding", []string{"Bearer ==="}, "", false},
		{"quoted", []string{`Bearer "abc"`}, "", false},
		{"non-ascii", []string{"Bearer abcé"}, "", false},
		{"control", []string{"Bearer abc\x00"}, "", false},
		{"lookalike scheme", []string{"Bearex abc"}, "", false},
		{"prefix scheme", []string{"XBearer abc"}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for _, v := range tc.values {
				h.Add("Authorization", v)
			}
			got, ok := BearerToken(h)
			if got != tc.want || ok != tc.ok {
				t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tc.values, got, ok, tc.want, tc.ok)
			}
		})
	}
}

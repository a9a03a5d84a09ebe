package redirect

import (
	"bufio"
	"net/url"
	"os"
	"strings"
	"testing"
)

func TestLocalPathRejects(t *testing.T) {
	t.Parallel()
	hostile := []string{
		"",
		" ",
		"a",
		"evil.com",
		"//evil.com",
		"///evil.com",
		"////evil.com",
		"//evil.com/",
		"/\\evil.com",
		"\\\\evil.com",
		"\\/evil.com",
		"/\\/evil.com",
		"/a\\b",
		"/a/b\\",
		"/a?x=\\",
		"/a#\\evil",
		"https://evil.com",
		"http://evil.com",
		"https:evil.com",
		"javascript:alert(1)",
		"JaVaScRiPt:alert(1)",
		"data:text/html,<script>alert(1)</script>",
		"vbscript:msgbox(1)",
		" /a",
		"/a ",
		"\t/a",
		"/a\t",
		"/\t/evil.com",
		"/\r/evil.com",
		"/\n/evil.com",
		"/\x00/evil.com",
		"/\x7f/evil.com",
		"/a\r\nSet-Cookie: x=y",
		"/a?x=\ty",
		"/a#\n",
		"/%09/evil.com",
		"/%0d/evil.com",
		"/%0A/evil.com",
		"/%00/evil.com",
		"/%7f/evil.com",
		"/%1F",
		"/%2f/evil.com",
		"/%2F%2Fevil.com",
		"/%5cevil.com",
		"/%5C%5Cevil.com",
		"/a?x=%5c",
		"/%252f/evil.com",
		"/%255c/evil.com",
		"/%25",
		"/%2e%2e/%2fevil.com",
		"/%",
		"/%2",
		"/%zz",
		"/a?x=%g0",
		"/a#%",
		"/\u2215evil.com",
		"/\u2044evil.com",
		"/\uff0fevil.com",
		"/\uff3cevil.com",
		"/\u29f8evil.com",
		"/\u2216evil.com",
		"/\ufe68evil.com",
		"/caf\u00e9",
		"\uff0f\uff0fevil.com",
		"/a/../b",
		"/a/./b",
		"/..",
		"/.",
		"/a/..",
		"/%2e%2e",
		"/%2E/a",
		"/.%2e/a",
		"/a?next=//evil.com",
		"/a?next=/../x",
		"/a#//evil.com",
		"/a//b",
		"/a<b",
		"/a>b",
		"/a\"b",
		"/a`b",
		"/a{b}",
		"/a|b",
		"/a^b",
		"/[::1]",
		"/a#b#c",
		"/a?x=1 2",
		"//user@evil.com",
		"/\\user@evil.com",
		"https://origin.example@evil.com",
		"@evil.com",
		"/" + strings.Repeat("a", MaxLen),
	}
	for _, v := range hostile {
		t.Run(url.PathEscape(v), func(t *testing.T) {
			t.Parallel()
			if got, ok := LocalPath(v); ok {
				t.Errorf("LocalPath(%q) = %q, true; want rejection", v, got)
			}
		})
	}
	if len(hostile) < 60 {
		t.Fatalf("only %d hostile values", len(hostile))
	}
}

func TestLocalPathAccepts(t *testing.T) {
	t.Parallel()
	legit := []string{
		"/",
		"/a",
		"/a/",
		"/a/b?x=1&y=%2F#frag",
		"/caf%C3%A9",
		"/%E2%88%95",
		"/users/bob@example.com",
		"/search?q=a+b&page=2",
		"/a?",
		"/a#",
		"/a#/section/one",
		"/a?redirect=/b",
		"/api/v1/items;matrix=1",
		"/~user/file.tar.gz",
		"/a.b/c..d/...",
		"/a:b",
		"/%41",
		"/a?x=%00",
		"/" + strings.Repeat("a", MaxLen-1),
	}
	for _, v := range legit {
		t.Run(url.PathEscape(v), func(t *testing.T) {
			t.Parallel()
			got, ok := LocalPath(v)
			if !ok || got != v {
				t.Errorf("LocalPath(%q) = %q, %v; want %q, true", v, got, ok, v)
			}
		})
	}
}

// TestOAuth2ProxyOpenRedirects runs oauth2-proxy's open-redirect corpus the
// way oauth2-proxy does: each line is query-unescaped, then must be refused.
func TestOAuth2ProxyOpenRedirects(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/oauth2-proxy-openredirects.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	lines := 0
	for sc.Scan() {
		lines++
		line := sc.Text()
		v, err := url.QueryUnescape(line)
		if err != nil {
			v = line
		}
		if got, ok := LocalPath(v); ok {
			t.Errorf("line %d: LocalPath(%q) = %q, true; want rejection", lines, v, got)
		}
		if got, ok := LocalPath(line); ok {
			t.Errorf("line %d (raw): LocalPath(%q) = %q, true; want rejection", lines, line, got)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines != 559 {
		t.Fatalf("read %d lines; the corpus has 559 (558 payloads and a first empty line)", lines)
	}
}

package gateway

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// reqPath is a request's path in its one canonical form: the route, the
// rule and the path sent upstream are all derived from it, and nothing
// encodes it again differently.
type reqPath struct {
	// path is the decoded path (URL.Path): what routes.
	path string
	// raw is the path as sent upstream (URL.EscapedPath()): the client's
	// own encoding, with runs of "/" merged.
	raw string
	// encSlash reports an encoded slash or backslash (%2F, %5C), which
	// most servers decode into a separator after routing has seen a
	// character; or a raw backslash, a separator to Windows servers.
	encSlash bool
	// params reports a ";" in a segment, raw or %3B: Tomcat and Jetty cut
	// ";..." from each segment before routing.
	params bool
}

// Public messages of the paths refused whatever the upstream.
const (
	badPathSyntax  = "invalid path"
	badPathEscape  = "invalid path: bad percent-encoding"
	badPathControl = "invalid path: an encoded control character"
	badPathUTF8    = "invalid path: not UTF-8"
	badPathDouble  = "invalid path: double percent-encoding"
	badPathDots    = "invalid path: a dot segment"
)

// Public messages of the paths refused unless the upstream allows them
// (allow_encoded_slashes, allow_path_params).
const (
	badPathSlash  = "invalid path: an encoded slash or a backslash"
	badPathParams = "invalid path: a ; parameter in a segment"
	badPathLong   = "path too long for its encoded slashes or ; parameters"
)

// refusalStatus returns the status code of a refused path.
func refusalStatus(reason string) int {
	if reason == badPathLong {
		return http.StatusRequestURITooLong
	}
	return http.StatusBadRequest
}

// optInReason returns why p is refused where no upstream allows its
// encoded slashes or ";" parameters, or "".
func optInReason(p *reqPath) string {
	switch {
	case p.encSlash:
		return badPathSlash
	case p.params:
		return badPathParams
	}
	return ""
}

// canonicalPath checks the path of u and returns its canonical form, or
// the public reason for refusing it. Refused whatever the upstream: a bad
// escape, a control character, a decoded path that is not UTF-8 (the
// overlong %C0%AF is "/" to old servers), a decoded "%" followed by two
// hex digits (a second decoding, by a server or a framework, would see
// another path), and a segment of dots (".", "..", "...", also encoded,
// after a backslash or before ";", or followed by spaces, which Windows
// drops). Runs of "/" are merged. encSlash and params are refused later,
// unless the chosen upstream allows them.
//
// An ordinary path (no escapes that Go would not make, no "//") is
// checked without allocating.
func canonicalPath(u *url.URL) (p reqPath, reason string) {
	p.path, p.raw = u.Path, u.EscapedPath()
	if p.path == "" && p.raw == "" {
		// An absolute-form target without a path: http://host
		return reqPath{path: "/", raw: "/"}, ""
	}
	if p.raw == "" || p.raw[0] != '/' {
		return p, badPathSyntax
	}
	merge := false
	raw := p.raw
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return p, badPathEscape
			}
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
			switch {
			case c == '/' || c == '\\':
				p.encSlash = true
			case c == ';':
				p.params = true
			case c < 0x20 || c == 0x7f:
				return p, badPathControl
			}
			continue
		}
		switch {
		case c == '/':
			merge = merge || i+1 < len(raw) && raw[i+1] == '/'
		case c == '\\':
			p.encSlash = true
		case c == ';':
			p.params = true
		case c < 0x20 || c == 0x7f:
			return p, badPathControl
		}
	}
	if !utf8.ValidString(p.path) {
		return p, badPathUTF8
	}
	if doubleEncoded(p.path) {
		return p, badPathDouble
	}
	if dotSegments(p.path) {
		return p, badPathDots
	}
	if merge {
		p.raw = mergeSlashes(p.raw)
		dec, err := url.PathUnescape(p.raw)
		if err != nil {
			return p, badPathEscape
		}
		p.path = dec
	}
	return p, ""
}

// doubleEncoded reports whether the decoded path p holds "%" and two hex
// digits: the client encoded an escape (%252F), which a server that
// decodes twice, or an app that decodes the path it was given, reads as
// another character.
func doubleEncoded(p string) bool {
	for {
		i := strings.IndexByte(p, '%')
		if i < 0 {
			return false
		}
		if i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
			return true
		}
		p = p[i+1:]
	}
}

// dotSegments reports whether the decoded path p has a segment made of
// dots (and spaces after them), counting a backslash as a separator and
// ignoring ";" parameters, as some servers do ("..;" is ".." to Java
// servers, ".. " and "..." are ".." to Windows).
func dotSegments(p string) bool {
	if !strings.Contains(p, ".") {
		return false
	}
	for seg := range strings.FieldsFuncSeq(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		seg, _, _ = strings.Cut(seg, ";")
		if seg != "" && seg[0] == '.' && strings.TrimRight(seg, ". ") == "" {
			return true
		}
	}
	return false
}

// mergeSlashes replaces each run of "/" in p by one.
func mergeSlashes(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

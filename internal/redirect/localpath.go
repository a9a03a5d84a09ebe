// Package redirect decides whether a user-supplied redirect target (a `next`
// parameter) is a local path that is safe to send back in a Location header.
package redirect

import "strings"

// MaxLen is the longest redirect target accepted, in bytes.
const MaxLen = 2048

// LocalPath reports whether next is a local absolute path that no browser
// can resolve to another origin, and returns the value to put in Location.
//
// The check refuses rather than repairs: a value that would need rewriting
// is rejected, and an accepted value is returned unchanged. Callers that
// build `next` from a request should pass r.URL.RequestURI(), which is
// already percent-encoded.
//
// Accepted: "/" followed by an RFC 3986 path, optionally "?query" and
// "#fragment", made only of printable ASCII URL characters, at most
// [MaxLen] bytes. Refused, anywhere in the value:
//   - any control character (TAB, CR, LF, NUL, DEL...), space, and any
//     byte outside ASCII: browsers silently drop TAB/CR/LF, so "/\t/evil"
//     becomes "//evil", and Unicode lookalikes of "/" and "\" (U+2215,
//     U+FF0F, U+FF3C...) are normalised to slashes by some parsers.
//     Non-ASCII must be percent-encoded ("/caf%C3%A9").
//   - a backslash, raw or encoded as %5C: browsers read "\" as "/".
//   - "//" and the dot segments "/./" and "/../": besides the obvious
//     "//evil.com", a path such as "/redirect?url=//evil.com" chains into an
//     on-site redirector, so "//" is refused in the query and fragment too.
//   - characters that are not legal in a URL (`"<>^{|}` and backquote, "[",
//     "]"), a second "#", and malformed percent escapes.
//
// In the path part only, percent-encoded "/", "\", ".", "%" (a double
// encoding such as %252F) and control characters are refused as well: a
// proxy or framework that decodes the path once would otherwise turn
// "/%2F/evil.com" into "//evil.com". Encoded slashes remain allowed in the
// query ("/a?x=%2F").
//
// A scheme ("https:", "javascript:", "JaVaScRiPt:") cannot appear: the value
// must start with "/", so any colon belongs to the path. An "@" is allowed
// in the path because an authority (and so userinfo) can only follow "//",
// which is refused.
func LocalPath(next string) (string, bool) {
	if len(next) == 0 || len(next) > MaxLen || next[0] != '/' {
		return "", false
	}
	if strings.Contains(next, "//") {
		return "", false
	}
	pathEnd := strings.IndexAny(next, "?#")
	if pathEnd < 0 {
		pathEnd = len(next)
	}
	if !validPath(next[:pathEnd]) || !validRest(next[pathEnd:]) {
		return "", false
	}
	return next, true
}

// validPath checks the path part: allowed characters, well-formed escapes,
// no encoded separators or controls, no dot segments.
func validPath(p string) bool {
	segStart := 1 // p[0] is the leading '/'
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if isDotSegment(p[segStart:i]) {
				return false
			}
			segStart = i + 1
			continue
		}
		c := p[i]
		if c == '%' {
			b, ok := unhex2(p, i)
			if !ok || !allowedEncodedInPath(b) {
				return false
			}
			i += 2
			continue
		}
		if !isPathChar(c) {
			return false
		}
	}
	return true
}

// validRest checks "?query#fragment" (either part optional).
func validRest(s string) bool {
	if s == "" {
		return true
	}
	if strings.Contains(s, "/./") || strings.Contains(s, "/../") {
		return false
	}
	seenHash := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '#':
			if seenHash {
				return false
			}
			seenHash = true
		case c == '%':
			b, ok := unhex2(s, i)
			if !ok || b == '\\' {
				return false
			}
			i += 2
		case c == '?' || c == '/' || isPathChar(c):
		default:
			return false
		}
	}
	return true
}

// isDotSegment reports whether seg is "." or "..", also when the dots are
// percent-encoded (browsers treat "%2e" as "." in paths).
func isDotSegment(seg string) bool {
	dots := 0
	for i := 0; i < len(seg); i++ {
		switch {
		case seg[i] == '.':
		case seg[i] == '%' && i+2 < len(seg) && seg[i+1] == '2' && (seg[i+2] == 'e' || seg[i+2] == 'E'):
			i += 2
		default:
			return false
		}
		dots++
	}
	return dots == 1 || dots == 2
}

// allowedEncodedInPath refuses the decoded bytes that would change the
// path's structure if some layer decoded it once more.
func allowedEncodedInPath(b byte) bool {
	switch {
	case b < 0x20 || b == 0x7f:
		return false
	case b == '/' || b == '\\' || b == '.' || b == '%':
		return false
	}
	return true
}

// isPathChar reports whether c is an RFC 3986 pchar other than '%':
// unreserved, sub-delims, ':' or '@'.
func isPathChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', // unreserved
		'!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', // sub-delims
		':', '@':
		return true
	}
	return false
}

// unhex2 decodes the escape "%XY" at s[i].
func unhex2(s string, i int) (byte, bool) {
	if i+2 >= len(s) {
		return 0, false
	}
	hi, ok1 := unhex(s[i+1])
	lo, ok2 := unhex(s[i+2])
	return hi<<4 | lo, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Package emailaddr owns the rules of addresses: how they are compared
// ([Normalize]), what is an address a user or a service account may have
// ([Parse], [ParseUser], [ParseService]), and the allowed_email_domains
// rule ([DomainAllowed]). The login, the management routes, the
// configuration checks, the capability stores and the CLI all call it, so
// that an address one of them accepts is accepted by all. The mock
// provider only normalizes: it sends odd addresses on purpose.
package emailaddr

// Normalize returns the form under which an address is compared and
// stored: without surrounding ASCII white space, ASCII letters in lower
// case. Nothing else changes. Unicode case mapping is not used on purpose:
// it maps KELVIN SIGN (U+212A) to k and I WITH DOT ABOVE (U+0130) to i, and
// folds LONG S (U+017F) with s, so a verified lookalike address would be
// the same user as an ASCII one. Here an address with a non-ASCII character
// keeps that character's bytes and can never equal an ASCII address.
func Normalize(s string) string {
	s = trimASCIISpace(s)
	i := 0
	for i < len(s) && !isUpper(s[i]) {
		i++
	}
	if i == len(s) {
		return s // already normal: no copy
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if isUpper(b[i]) {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// isUpper reports whether c is an ASCII upper-case letter. Bytes of
// multi-byte UTF-8 sequences are all >= 0x80, so they never match.
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func trimASCIISpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

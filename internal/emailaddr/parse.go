package emailaddr

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLength is the longest address accepted, in bytes (RFC 5321's limit
// on a path, without its angle brackets).
const MaxLength = 254

// serviceSuffix ends the name of every service account: name@service.
// "service" has no dot, so no login address of a real domain ends so.
const serviceSuffix = "@service"

// ErrServiceAccount matches the error of [ParseUser] for a service
// account name: no login may claim one.
var ErrServiceAccount = errors.New("a service account name")

// SyntaxError says why a string is not an address.
type SyntaxError struct {
	Input  string // as given
	Want   string // "an email address", "a service account name (name@service)", ...
	Reason string // "no @", "an empty domain label", ...
}

func (e *SyntaxError) Error() string {
	in := e.Input
	if len(in) > 100 { // the message may reach a client and a log line
		in = strings.ToValidUTF8(in[:100], "") + "..."
	}
	if e.Reason == "" {
		return fmt.Sprintf("%q is not %s", in, e.Want)
	}
	return fmt.Sprintf("%q is not %s: %s", in, e.Want, e.Reason)
}

// Parse checks an address that capabilities are stored under (a user's
// email or a service account's name@service) and returns it normalized
// ([Normalize]). It refuses, saying why: invalid UTF-8; anything but
// exactly one "@" with something before and after it; an empty domain
// label (a domain starting or ending with "." or holding ".."); more than
// [MaxLength] bytes; white space, control or invisible formatting
// characters anywhere (Unicode's, not only ASCII's); and the characters
// < > " , ; which an address only holds inside quotes, a form no identity
// provider issues and a header or list could be split on.
func Parse(s string) (string, error) {
	return parse(s, "an email address or name@service")
}

// ParseUser is [Parse] for the address of a person: a service account
// name is refused with an error matching [ErrServiceAccount].
func ParseUser(s string) (string, error) {
	a, err := parse(s, "an email address")
	if err != nil {
		return "", err
	}
	if IsService(a) {
		return "", fmt.Errorf("%q is %w, not a user's email address", s, ErrServiceAccount)
	}
	return a, nil
}

// ParseService is [Parse] for a service account name: a non-empty name,
// then "@service".
func ParseService(s string) (string, error) {
	const want = "a service account name (name@service)"
	a, err := parse(s, want)
	if err != nil {
		return "", err
	}
	if !IsService(a) {
		return "", &SyntaxError{Input: s, Want: want}
	}
	return a, nil
}

// IsService reports whether an address [Parse] returned is a service
// account's.
func IsService(addr string) bool { return strings.HasSuffix(addr, serviceSuffix) }

func parse(s, want string) (string, error) {
	bad := func(reason string) (string, error) {
		return "", &SyntaxError{Input: s, Want: want, Reason: reason}
	}
	if !utf8.ValidString(s) {
		return bad("not valid UTF-8")
	}
	a := Normalize(s)
	if a == "" {
		return bad("empty")
	}
	if len(a) > MaxLength {
		return bad(fmt.Sprintf("longer than %d bytes", MaxLength))
	}
	if reason := badCharacter(a); reason != "" {
		return bad(reason)
	}
	local, domain, ok := strings.Cut(a, "@")
	switch {
	case !ok:
		return bad("no @")
	case strings.Contains(domain, "@"):
		return bad("more than one @")
	case local == "":
		return bad("nothing before the @")
	case domain == "":
		return bad("nothing after the @")
	case domain[0] == '.' || domain[len(domain)-1] == '.' || strings.Contains(domain, ".."):
		return bad("an empty domain label")
	}
	return a, nil
}

// badCharacter names the first character an address may not hold, or
// returns "".
func badCharacter(a string) string {
	for i := 0; i < len(a); {
		if c := a[i]; c < utf8.RuneSelf { // ASCII, the common case: no table lookups
			switch {
			case isSpace(c):
				return "contains white space"
			case c < 0x20 || c == 0x7f:
				return "contains a control character"
			case c == '<' || c == '>' || c == '"' || c == ',' || c == ';':
				return fmt.Sprintf("contains %q", c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(a[i:])
		switch {
		case unicode.IsSpace(r):
			return "contains white space"
		case unicode.IsControl(r):
			return "contains a control character"
		case unicode.Is(unicode.Cf, r):
			return fmt.Sprintf("contains an invisible formatting character (%U)", r)
		}
		i += n
	}
	return ""
}

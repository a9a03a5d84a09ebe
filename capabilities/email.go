package capabilities

import "github.com/oauthgate/oauthgate/internal/emailaddr"

// NormalizeEmail returns the form under which emails are compared and
// stored: without surrounding ASCII spaces, ASCII letters in lower case,
// every other character kept as it is. Unicode case mapping would make a
// lookalike such as "\u212Aate@example.com" (KELVIN SIGN) the same user as
// "kate@example.com"; here a non-ASCII address never equals an ASCII one.
func NormalizeEmail(s string) string { return emailaddr.Normalize(s) }

// ParseEmail returns the normalized email ([NormalizeEmail]), or why no
// capabilities may be stored under it: the rule every store applies to
// the emails it is given, and the login, the management routes and the
// configuration apply to theirs. It accepts a user's address or a service
// account's name@service, and refuses anything but exactly one "@" with
// something on both sides, an empty domain label, more than 254 bytes,
// invalid UTF-8, white space, control or invisible formatting characters,
// and the characters < > " , ;.
func ParseEmail(s string) (string, error) { return emailaddr.Parse(s) }

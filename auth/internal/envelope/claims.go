package envelope

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// TokenKind says whose token it is.
type TokenKind uint8

// The kinds of sealed claims.
const (
	TokenUser    TokenKind = iota + 1 // a user's bearer token (subject: email)
	TokenService                      // a service account's bearer token (subject: name@service)
	TokenSession                      // a browser session (subject: email)
)

// String returns "user", "service" or "session".
func (k TokenKind) String() string {
	switch k {
	case TokenUser:
		return "user"
	case TokenService:
		return "service"
	case TokenSession:
		return "session"
	}
	return fmt.Sprintf("TokenKind(%d)", uint8(k))
}

// Claims is what a token or session says about its holder.
type Claims struct {
	Kind TokenKind
	// Subject is the email of a user, or name@service for a service account.
	Subject string
	// ID identifies the token for revocation: random, 128 bits.
	ID        string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Capabilities is a service token's snapshot of its account's
	// capabilities (closure) at minting time. Empty for users.
	Capabilities []string
	// RefreshToken is the identity provider's refresh token, kept so that
	// the user can be re-checked with the provider. Never log it.
	RefreshToken string
	// CheckedAt is when the subject was last confirmed with the identity
	// provider; zero if never.
	CheckedAt time.Time
	// Extra is opaque data for the caller, sealed with the rest.
	Extra []byte
}

// Field tags of the payload after its fixed part. Unknown tags are skipped
// so that a newer release can add fields.
const (
	tagSubject      = 1
	tagID           = 2
	tagCapability   = 3 // repeated, one per capability
	tagRefreshToken = 4
	tagCheckedAt    = 5
	tagExtra        = 6
)

// fixedLen is kind (1) | issued at (8) | expires at (8), Unix seconds.
const fixedLen = 17

func (c *Claims) appendBinary(b []byte) ([]byte, error) {
	switch {
	case c.Kind < TokenUser || c.Kind > TokenSession:
		return nil, fmt.Errorf("auth: seal: unknown token kind %d", c.Kind)
	case c.Subject == "":
		return nil, errors.New("auth: seal: empty subject")
	case c.ExpiresAt.IsZero():
		return nil, errors.New("auth: seal: no expiry")
	case !c.ExpiresAt.After(c.IssuedAt):
		return nil, errors.New("auth: seal: expiry not after issue time")
	}
	b = append(b, byte(c.Kind))
	b = binary.BigEndian.AppendUint64(b, uint64(c.IssuedAt.Unix()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.ExpiresAt.Unix()))
	b = appendField(b, tagSubject, c.Subject)
	b = appendField(b, tagID, c.ID)
	for _, capability := range c.Capabilities {
		b = appendField(b, tagCapability, capability)
	}
	if c.RefreshToken != "" {
		b = appendField(b, tagRefreshToken, c.RefreshToken)
	}
	if !c.CheckedAt.IsZero() {
		b = append(b, tagCheckedAt, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(c.CheckedAt.Unix()))
	}
	if len(c.Extra) > 0 {
		b = appendField(b, tagExtra, string(c.Extra))
	}
	return b, nil
}

// sizeHint is an upper bound of the encoded payload's length.
func (c *Claims) sizeHint() int {
	n := fixedLen + 3*binary.MaxVarintLen64 + len(c.Subject) + len(c.ID) + len(c.RefreshToken) + 10 + len(c.Extra) + binary.MaxVarintLen64
	for _, capability := range c.Capabilities {
		n += 1 + binary.MaxVarintLen64 + len(capability)
	}
	return n
}

func appendField(b []byte, tag byte, v string) []byte {
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

var errBadPayload = fmt.Errorf("bad payload: %w", ErrTokenMalformed)

// decodeBinary parses a payload. All strings share one allocation.
func (c *Claims) decodeBinary(b []byte) error {
	if len(b) < fixedLen {
		return errBadPayload
	}
	c.Kind = TokenKind(b[0])
	c.IssuedAt = time.Unix(int64(binary.BigEndian.Uint64(b[1:9])), 0).UTC()
	c.ExpiresAt = time.Unix(int64(binary.BigEndian.Uint64(b[9:17])), 0).UTC()
	rest := b[fixedLen:]
	s := string(rest)
	ncaps := 0
	for pass := 0; pass < 2; pass++ {
		if pass == 1 && ncaps > 0 {
			c.Capabilities = make([]string, 0, ncaps)
		}
		for off := 0; off < len(s); {
			tag := s[off]
			n, w := binary.Uvarint(rest[off+1:])
			if w <= 0 || n > uint64(len(s)-off-1-w) {
				return errBadPayload
			}
			start := off + 1 + w
			end := start + int(n)
			off = end
			if pass == 0 {
				if tag == tagCapability {
					ncaps++
				}
				continue
			}
			v := s[start:end]
			switch tag {
			case tagSubject:
				c.Subject = v
			case tagID:
				c.ID = v
			case tagCapability:
				c.Capabilities = append(c.Capabilities, v)
			case tagRefreshToken:
				c.RefreshToken = v
			case tagCheckedAt:
				if len(v) != 8 {
					return errBadPayload
				}
				c.CheckedAt = time.Unix(int64(binary.BigEndian.Uint64(rest[start:end])), 0).UTC()
			case tagExtra:
				c.Extra = rest[start:end:end]
			}
		}
	}
	if c.Subject == "" || c.Kind < TokenUser || c.Kind > TokenSession {
		return errBadPayload
	}
	return nil
}

package auth

import "errors"

// Errors returned when decoding tokens and resolving identities. They are
// wrapped with %w: test with errors.Is.
var (
	// ErrTokenMalformed: the value is not a token of this format (bad
	// encoding, wrong length, unknown version, padding, line breaks).
	ErrTokenMalformed = errors.New("auth: malformed token")
	// ErrTokenInvalid: the token does not authenticate: tampered, made with
	// a key that is no longer configured, or made for another purpose.
	ErrTokenInvalid = errors.New("auth: invalid token")
	// ErrTokenExpired: the token authenticated but its expiry has passed.
	ErrTokenExpired = errors.New("auth: token expired")
	// ErrTokenRevoked: the token authenticated but its id, or its subject's
	// tokens, were revoked.
	ErrTokenRevoked = errors.New("auth: token revoked")
	// ErrNoIdentity: the request carries no session and no bearer token.
	ErrNoIdentity = errors.New("auth: no identity")
	// ErrWrongPassword: a ~CRYPT~ value did not decrypt: the password is
	// wrong or the value was altered.
	ErrWrongPassword = errors.New("auth: wrong password or corrupted value")
)

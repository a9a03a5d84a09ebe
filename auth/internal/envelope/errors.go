package envelope

import "errors"

// The errors of opening a value. Package auth exports the same values as
// ErrTokenMalformed, ErrTokenInvalid and ErrTokenExpired, so errors.Is
// works on either name.
var (
	ErrTokenMalformed = errors.New("auth: malformed token")
	ErrTokenInvalid   = errors.New("auth: invalid token")
	ErrTokenExpired   = errors.New("auth: token expired")
)

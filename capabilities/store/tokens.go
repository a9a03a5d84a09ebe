package store

import (
	"context"
	"time"
)

// TokenStore keeps the state of bearer tokens and sessions that their sealed
// form cannot carry: revocations, and the latest identity-provider grant of
// a user token (its refresh token, sealed by the caller). Ids are opaque
// strings; subjects are emails or name@service, compared as
// [capabilities.NormalizeEmail] does. Entries are dropped once their until
// time has passed (on the next write). Implementations are safe for
// concurrent use.
type TokenStore interface {
	// Revoke revokes one token or session id, remembered until its expiry.
	Revoke(ctx context.Context, id string, until time.Time) error
	// RevokeSubject revokes every token and session of subject issued
	// before the time before, and every one issued so far: issue times
	// are kept to the second, so the subject's cutoff moves past before's
	// second and at least one second past its previous cutoff. Issuers give
	// a new token the first second the cutoff does not cover (the next
	// second, right after a revocation), so the next revocation covers it
	// even within the same second.
	RevokeSubject(ctx context.Context, subject string, before time.Time) error
	// Revoked reports whether the token id of subject, issued at issuedAt,
	// is revoked: id is, or issuedAt's second is before the subject's
	// cutoff. It answers from memory, fast.
	Revoked(id, subject string, issuedAt time.Time) bool
	// PutGrant keeps sealed (an identity-provider grant, already encrypted
	// by the caller) for the token id until the time until.
	PutGrant(ctx context.Context, id string, sealed string, until time.Time) error
	// Grant returns the grant last put for id.
	Grant(ctx context.Context, id string) (sealed string, ok bool, err error)
	// Version is a cheap counter that changes whenever a revocation may
	// have been added, by this process or another one.
	Version() uint64
	// Close releases the store's resources.
	Close() error
}

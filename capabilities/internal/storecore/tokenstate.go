package storecore

import (
	"errors"
	"maps"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
)

// TokenGrant is one kept grant.
type TokenGrant struct {
	Sealed string    `yaml:"sealed"`
	Until  time.Time `yaml:"until"`
}

// TokenState is the data of a token store. It is copied on write, so that
// readers holding an old state never see a change.
type TokenState struct {
	Revoked  map[string]time.Time // id → until
	Subjects map[string]time.Time // normalized subject → revoke before
	Grants   map[string]TokenGrant
}

// NewTokenState returns an empty state.
func NewTokenState() *TokenState {
	return &TokenState{Revoked: map[string]time.Time{}, Subjects: map[string]time.Time{}, Grants: map[string]TokenGrant{}}
}

// Clone returns a copy of s that a change may modify.
func (s *TokenState) Clone() *TokenState {
	return &TokenState{Revoked: maps.Clone(s.Revoked), Subjects: maps.Clone(s.Subjects), Grants: maps.Clone(s.Grants)}
}

// Prune drops the entries whose time has passed.
func (s *TokenState) Prune(now time.Time) {
	maps.DeleteFunc(s.Revoked, func(_ string, until time.Time) bool { return until.Before(now) })
	maps.DeleteFunc(s.Grants, func(_ string, g TokenGrant) bool { return g.Until.Before(now) })
}

// IsRevoked answers a token store's Revoked from s.
func (s *TokenState) IsRevoked(id, subject string, issuedAt time.Time) bool {
	if id != "" {
		if _, ok := s.Revoked[id]; ok {
			return true
		}
	}
	if len(s.Subjects) == 0 || subject == "" {
		return false
	}
	before, ok := s.Subjects[capabilities.NormalizeEmail(subject)]
	return ok && issuedAt.Truncate(time.Second).Before(before)
}

// TokenChange is one write to a token store.
type TokenChange func(*TokenState)

// RevokeChange is the write of a token store's Revoke.
func RevokeChange(id string, until time.Time) TokenChange {
	return func(s *TokenState) {
		if cur, ok := s.Revoked[id]; !ok || until.After(cur) {
			s.Revoked[id] = until.UTC()
		}
	}
}

// SubjectCutoff is the first issue time a revocation of a subject at
// before does not cover. Issue times are kept to the second: a token
// issued in the second of the revocation is revoked too.
func SubjectCutoff(before time.Time) time.Time {
	return before.Truncate(time.Second).Add(time.Second).UTC()
}

// RevokeSubjectChange is the write of a token store's RevokeSubject for
// key (a subject as [SubjectKey] returns it).
func RevokeSubjectChange(key string, before time.Time) TokenChange {
	before = SubjectCutoff(before)
	return func(s *TokenState) {
		if cur, ok := s.Subjects[key]; ok && !cur.Before(before) {
			// Tokens may have been issued at cur since it was set.
			before = cur.Add(time.Second)
		}
		s.Subjects[key] = before
	}
}

// PutGrantChange is the write of a token store's PutGrant.
func PutGrantChange(id, sealed string, until time.Time) TokenChange {
	return func(s *TokenState) { s.Grants[id] = TokenGrant{Sealed: sealed, Until: until.UTC()} }
}

var (
	errEmptyTokenID = errors.New("capabilities: empty token id")
	// ErrEmptySubject refuses a revocation of the empty subject.
	ErrEmptySubject = errors.New("capabilities: empty subject")
)

// CheckTokenID refuses an empty token id.
func CheckTokenID(id string) error {
	if id == "" {
		return errEmptyTokenID
	}
	return nil
}

// SubjectKey returns the form under which a subject's revocation is kept
// ([capabilities.NormalizeEmail]), or [ErrEmptySubject].
func SubjectKey(subject string) (string, error) {
	key := capabilities.NormalizeEmail(subject)
	if key == "" {
		return "", ErrEmptySubject
	}
	return key, nil
}

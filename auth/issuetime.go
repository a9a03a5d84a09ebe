package auth

import (
	"fmt"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/store"
)

// issueTime returns the issue time of a new token or session of subject:
// now, kept to the second, or else the first second after it that the
// subject's "revoke all" cutoff does not cover. A token issued right after
// a "revoke all" thus lives, and the next one covers it even within the
// same second, since every "revoke all" moves the cutoff at least one
// second past the previous one (see [store.TokenStore]). A cutoff
// further ahead than tokens may be dated is an error.
func issueTime(tokens store.TokenStore, now time.Time, subject string) (time.Time, error) {
	t := now.Truncate(time.Second)
	for tokens.Revoked("", subject, t) {
		t = t.Add(time.Second)
		if t.After(now.Add(maxClockSkew)) {
			return time.Time{}, fmt.Errorf("auth: the tokens of %s are revoked until after %s", subject, t.Format(time.RFC3339))
		}
	}
	return t, nil
}

package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// ErrorOf is the one mapping from errors to answers: a store that cannot
// answer is 503 with Retry-After whatever else the error says, and an
// unknown error never shows its text.
func TestErrorOf(t *testing.T) {
	t.Parallel()
	unavailable := fmt.Errorf("pgstore: get: %w: dial tcp: refused", store.ErrUnavailable)
	for _, tc := range []struct {
		name   string
		err    error
		status int
		msg    string
		code   string
		retry  bool
	}{
		{"unknown capability", &capabilities.UnknownCapabilityError{Name: "x"}, 400, `unknown capability "x"`, "", false},
		{"delegation", &capabilities.DelegationError{Missing: []string{"x"}}, 403,
			"you may only grant or remove capabilities you hold; missing: [x]", "", false},
		{"expired", fmt.Errorf("x: %w", auth.ErrTokenExpired), 401, "token expired", "invalid_token", false},
		{"revoked", auth.ErrTokenRevoked, 401, "token revoked", "invalid_token", false},
		{"malformed", auth.ErrTokenMalformed, 401, "invalid token", "invalid_token", false},
		{"not confirmed", auth.ErrNotConfirmed, 401, "the identity provider could not confirm the user; log in again", "invalid_token", false},
		{"no identity", auth.ErrNoIdentity, 401, "not authenticated", "", false},
		{"forbidden", auth.ErrForbidden, 403, "forbidden", "", false},
		{"own error", &auth.Error{Status: http.StatusBadGateway, Msg: "down"}, 502, "down", "", false},
		{"store unavailable", unavailable, 503, "the store is unavailable; try again shortly", "temporarily_unavailable", true},
		{"store closed", fmt.Errorf("get: %w", store.ErrClosed), 503, "the store is unavailable; try again shortly", "temporarily_unavailable", true},
		// A client token checked against a store that is down is not the
		// client's fault.
		{"token check with the store down", fmt.Errorf("auth: client c: %w: %w", auth.ErrTokenInvalid, unavailable), 503,
			"the store is unavailable; try again shortly", "temporarily_unavailable", true},
		{"own error over the store down", &auth.Error{Status: 500, Msg: "cannot start a session", Err: unavailable}, 503,
			"the store is unavailable; try again shortly", "temporarily_unavailable", true},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), 503, "the request was cancelled or timed out", "temporarily_unavailable", false},
		{"anything else", errors.New("disk on fire"), 500, "internal error", "", false},
	} {
		e := auth.ErrorOf(tc.err)
		if e.Status != tc.status || e.Msg != tc.msg || e.Code != tc.code || (e.RetryAfter >= time.Second) != tc.retry {
			t.Errorf("%s: ErrorOf(%v) = %d %q code %q Retry-After %v; want %d %q code %q Retry-After %v",
				tc.name, tc.err, e.Status, e.Msg, e.Code, e.RetryAfter, tc.status, tc.msg, tc.code, tc.retry)
		}
		if !errors.Is(e, tc.err) {
			t.Errorf("%s: the cause is lost: %v", tc.name, e)
		}
	}
	if auth.ErrorOf(nil) != nil {
		t.Error("ErrorOf(nil) is not nil")
	}
}

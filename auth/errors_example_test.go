package auth_test

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// An app's own route answers the Manager's errors as the middleware and
// the mounted routes do: branch with errors.Is, answer with ErrorOf.
func ExampleErrorOf() {
	for _, err := range []error{
		fmt.Errorf("listing users: %w", store.ErrUnavailable),
		fmt.Errorf("bearer: %w", auth.ErrTokenExpired),
		&auth.Error{Status: http.StatusForbidden, Msg: "changing capabilities needs user_management", Err: auth.ErrForbidden},
		errors.New("disk on fire"),
	} {
		e := auth.ErrorOf(err)
		fmt.Printf("%d %q retry=%v code=%q forbidden=%v\n", e.Status, e.Msg, e.RetryAfter, e.Code, errors.Is(err, auth.ErrForbidden))
	}
	// Output:
	// 503 "the store is unavailable; try again shortly" retry=5s code="temporarily_unavailable" forbidden=false
	// 401 "token expired" retry=0s code="invalid_token" forbidden=false
	// 403 "changing capabilities needs user_management" retry=0s code="" forbidden=true
	// 500 "internal error" retry=0s code="" forbidden=false
}

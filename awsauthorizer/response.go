package awsauthorizer

import "errors"

// Response is a Lambda authorizer's answer, with AWS's JSON field
// names. Context values are strings only (TOKEN authorizers allow no
// other type): lists are JSON-encoded.
type Response struct {
	PrincipalID    string            `json:"principalId"`
	PolicyDocument PolicyDocument    `json:"policyDocument"`
	Context        map[string]string `json:"context,omitempty"`
}

// PolicyDocument is an IAM policy of execute-api:Invoke statements.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement allows or denies invoking its resources.
type Statement struct {
	Action   string   `json:"Action"`
	Effect   string   `json:"Effect"`
	Resource []string `json:"Resource"`
}

// Values of the policy documents.
const (
	PolicyVersion = "2012-10-17"
	InvokeAction  = "execute-api:Invoke"
	EffectAllow   = "Allow"
	EffectDeny    = "Deny"
)

// ErrUnauthorized is the answer to an event without a valid token.
// Its message is exactly "Unauthorized": a Lambda authorizer that fails
// with that message makes API Gateway answer 401.
var ErrUnauthorized = errors.New("Unauthorized")

// UnauthorizedError is the error of [Authorizer.Authorize] for a missing
// or invalid token: its message is "Unauthorized" (nothing about the
// cause reaches the caller), errors.Is finds [ErrUnauthorized] and the
// cause ([auth.ErrNoIdentity], [auth.ErrTokenInvalid],
// [auth.ErrTokenExpired], …) for logs.
type UnauthorizedError struct {
	Cause error
}

func (e *UnauthorizedError) Error() string        { return ErrUnauthorized.Error() }
func (e *UnauthorizedError) Unwrap() error        { return e.Cause }
func (e *UnauthorizedError) Is(target error) bool { return target == ErrUnauthorized }

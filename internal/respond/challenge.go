package respond

import (
	"net/http"
	"strings"
)

// Codes of Bearer challenges (RFC 6750 §3.1). An [Error] with
// CodeInsufficientScope also names its Scope in the challenge and in the
// JSON body.
const (
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
)

// CodeTemporarilyUnavailable is the OAuth error code (RFC 6749 §5.2) of
// an answer refused because the server cannot serve it now, such as a
// store that is down; Retry-After says when to try again.
const CodeTemporarilyUnavailable = "temporarily_unavailable"

// basicRealm is the realm of the token endpoint's Basic challenge.
const basicRealm = "oauthgate"

// challenge returns the WWW-Authenticate value that e calls for when
// written as f, or "" for none. The token endpoint asks a client that
// failed to authenticate for HTTP Basic (RFC 6749 §5.2, invalid_client);
// elsewhere every 401, and a 403 for a missing scope, carries a Bearer
// challenge (RFC 6750 §3) naming the error, its description and the
// scope needed.
func challenge(e *Error, f Format) string {
	status := e.status()
	if f == AsOAuth {
		if status == http.StatusUnauthorized {
			return `Basic realm="` + basicRealm + `", charset="UTF-8"`
		}
		return ""
	}
	if status != http.StatusUnauthorized && e.Code != CodeInsufficientScope {
		return ""
	}
	if e.Code == "" {
		return "Bearer"
	}
	var b strings.Builder
	b.WriteString(`Bearer error="`)
	b.WriteString(quotedPairs(e.Code))
	b.WriteString(`", error_description="`)
	b.WriteString(quotedPairs(e.public()))
	b.WriteByte('"')
	if e.Code == CodeInsufficientScope {
		b.WriteString(`, scope="`)
		b.WriteString(quotedPairs(e.Scope))
		b.WriteByte('"')
	}
	return b.String()
}

// quotedPairs escapes double quotes and backslashes for a quoted-string:
// a scope derived from a decoded path may contain them.
func quotedPairs(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// oauthCode returns the "error" of e at the token endpoint: its Code, or
// one derived from its status.
func oauthCode(e *Error) string {
	if e.Code != "" {
		return e.Code
	}
	switch s := e.status(); {
	case s == http.StatusUnauthorized:
		return "invalid_client"
	case s == http.StatusTooManyRequests:
		return "slow_down"
	case s == http.StatusServiceUnavailable:
		return "temporarily_unavailable"
	case s >= 500:
		return "server_error"
	}
	return "invalid_request"
}

package auth

import "net/http"

// NoLogin reports whether c configures an app without browser login:
// neither server_metadata_url nor client_id nor force_user is set. Such an
// app never contacts an identity provider; its callers identify with
// tokens that need none: JWTs of jwt_issuers, tokens of the app's own
// client-credentials grant (clients:), and service tokens (minted with
// `oauthgate token` or GET {prefix}/token?user= by a caller holding
// user_management). The login routes answer 404, and
// [RedirectToLogin] answers 401 instead of redirecting.
func (c *Config) NoLogin() bool {
	return c.ServerMetadataURL == "" && c.ClientID == "" && c.InsecureForceUser == ""
}

// noLoginError is the answer of the login routes without browser login.
func noLoginError() *Error {
	return &Error{
		Status: http.StatusNotFound,
		Msg:    "This app has no browser login: it is called with machine or service tokens.",
		Err:    ErrNoLogin,
	}
}

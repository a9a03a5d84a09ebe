package auth

import "net/http"

// NoLogin reports whether c configures an app without browser login:
// neither server_metadata_url nor client_id nor force_user is set, and
// provider is oidc (the default; another kind means a login). Such an
// app never contacts an identity provider; its callers identify with
// tokens that need none: JWTs of jwt_issuers and of the issuers plugged
// in ([Config.MachineIssuers]), and service tokens (minted with
// `oauthgate token` or GET {prefix}/token?user= by a caller holding
// user_management). The login routes answer 404, and
// [RedirectToLogin] answers 401 instead of redirecting.
func (c *Config) NoLogin() bool {
	return c.ServerMetadataURL == "" && c.ClientID == "" && c.InsecureForceUser == "" && c.providerKind() == providerOIDC
}

// MachineCallers reports whether c accepts machine clients: jwt_issuers
// or a plugged-in issuer ([Config.MachineIssuers]). Without them (and
// without login), only service tokens and guests reach the app.
func (c *Config) MachineCallers() bool {
	return len(c.JWTIssuers) > 0 || len(c.MachineIssuers) > 0
}

// noLoginError is the answer of the login routes without browser login.
func noLoginError() *Error {
	return &Error{
		Status: http.StatusNotFound,
		Msg:    "This app has no browser login: it is called with machine or service tokens.",
		Err:    ErrNoLogin,
	}
}

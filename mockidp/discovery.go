package mockidp

import (
	"net/http"
)

// Discovery is the provider metadata served at
// /.well-known/openid-configuration (OpenID Connect Discovery 1.0 §3, with
// RFC 8414, RFC 7009 and RFC 9207 fields).
type Discovery struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	UserinfoEndpoint                           string   `json:"userinfo_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	EndSessionEndpoint                         string   `json:"end_session_endpoint"`
	RegistrationEndpoint                       string   `json:"registration_endpoint,omitempty"`
	DeviceAuthorizationEndpoint                string   `json:"device_authorization_endpoint"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	SubjectTypesSupported                      []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	ClaimsSupported                            []string `json:"claims_supported"`
	PromptValuesSupported                      []string `json:"prompt_values_supported"`
	ClaimsParameterSupported                   bool     `json:"claims_parameter_supported"`
	RequestParameterSupported                  bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported               bool     `json:"request_uri_parameter_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
}

// DiscoveryFor returns the metadata for an issuer URL.
func (p *Provider) DiscoveryFor(issuer string) Discovery {
	alg := []string{string(p.keys.alg)}
	d := Discovery{
		Issuer:                                 issuer,
		AuthorizationEndpoint:                  issuer + "/authorize",
		TokenEndpoint:                          issuer + "/token",
		UserinfoEndpoint:                       issuer + "/userinfo",
		JWKSURI:                                issuer + "/jwks",
		RevocationEndpoint:                     issuer + "/revoke",
		EndSessionEndpoint:                     issuer + "/end_session",
		DeviceAuthorizationEndpoint:            issuer + "/device_authorization",
		ScopesSupported:                        []string{"openid", "email", "profile", "offline_access"},
		ResponseTypesSupported:                 []string{"code"},
		ResponseModesSupported:                 []string{"query"},
		GrantTypesSupported:                    []string{"authorization_code", "refresh_token", "client_credentials", deviceGrantType},
		SubjectTypesSupported:                  []string{"public"},
		IDTokenSigningAlgValuesSupported:       alg,
		TokenEndpointAuthMethodsSupported:      []string{"client_secret_basic", "client_secret_post", "none"},
		RevocationEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "none"},
		CodeChallengeMethodsSupported:          []string{"S256"},
		ClaimsSupported: []string{"iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce",
			"at_hash", "sid", "email", "email_verified", "name"},
		PromptValuesSupported:                      []string{"none", "login", "consent", "select_account"},
		AuthorizationResponseIssParameterSupported: true,
	}
	if p.opts.Registration {
		d.RegistrationEndpoint = issuer + "/register"
	}
	return d
}

func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	d := p.DiscoveryFor(p.issuerFor(r))
	writeJSON(w, http.StatusOK, d)
}

func (p *Provider) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(p.keys.jwksJSON())
}

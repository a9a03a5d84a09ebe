package mockidp

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The microsoft mode, shaped as the Microsoft identity platform v2.0
// (Entra ID) with the host of the provider in place of
// login.microsoftonline.com. Every endpoint is per tenant, where the
// tenant is common (any account), organizations (any work account, not a
// personal one), consumers (personal accounts only) or a tenant GUID
// (its users only):
//
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	GET  /{tenant}/discovery/v2.0/keys
//	GET  /{tenant}/oauth2/v2.0/authorize
//	POST /{tenant}/oauth2/v2.0/token
//	GET  /{tenant}/oauth2/v2.0/logout
//	GET  /oidc/userinfo                (graph.microsoft.com's, here)
//
// The discovery issuer of common and organizations is the template
// {base}/{tenantid}/v2.0; an ID token's iss is that template with its tid
// claim in place, the user's tenant. ID tokens carry tid, oid, ver 2.0,
// and, with the email scope, email and xms_edov (the optional claim that
// says the email domain's owner is verified), but no email_verified,
// which Microsoft does not send. A refresh token needs offline_access.
// Errors carry AADSTS codes, error_codes, trace and correlation ids.

func (p *Provider) microsoftRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", p.inTenant(p.handleMicrosoftDiscovery))
	m.HandleFunc("GET /{tenant}/discovery/v2.0/keys", p.inTenant(p.handleJWKS))
	m.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", p.inTenant(p.handleAuthorize))
	m.HandleFunc("POST /{tenant}/oauth2/v2.0/authorize", p.inTenant(p.handleAuthorize))
	m.HandleFunc("POST /{tenant}/oauth2/v2.0/token", p.inTenant(p.handleToken))
	m.HandleFunc("GET /{tenant}/oauth2/v2.0/logout", p.inTenant(p.handleEndSession))
	m.HandleFunc("GET /{tenant}/oauth2/v2.0/signup", p.inTenant(p.handleSignup))
	m.HandleFunc("POST /{tenant}/oauth2/v2.0/signup", p.inTenant(p.handleSignup))
	m.HandleFunc("POST /{tenant}/oauth2/v2.0/consent", p.inTenant(p.handleConsent))
	m.HandleFunc("GET /oidc/userinfo", p.handleUserinfo)
	m.HandleFunc("POST /oidc/userinfo", p.handleUserinfo)
}

// inTenant answers Microsoft's invalid_tenant error for a tenant that is
// none of common, organizations, consumers or a GUID.
func (p *Provider) inTenant(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch t := strings.ToLower(r.PathValue("tenant")); {
		case t == "common", t == "organizations", t == "consumers", isGUID(t):
			h(w, r)
		default:
			p.writeMicrosoftError(w, &oauthError{http.StatusBadRequest, "invalid_tenant",
				fmt.Sprintf("AADSTS90002: Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", r.PathValue("tenant"))})
		}
	}
}

// microsoftIssuer is the issuer of tenant tid (or the {tenantid} template).
func microsoftIssuer(base, tid string) string { return base + "/" + tid + "/v2.0" }

// microsoftDiscovery is the v2.0 discovery document.
type microsoftDiscovery struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ClaimsSupported                   []string `json:"claims_supported"`
	TenantRegionScope                 *string  `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
}

func (p *Provider) handleMicrosoftDiscovery(w http.ResponseWriter, r *http.Request) {
	base, tenant := p.issuerFor(r), r.PathValue("tenant")
	issuer := microsoftIssuer(base, "{tenantid}")
	switch t := strings.ToLower(tenant); {
	case t == "consumers":
		issuer = microsoftIssuer(base, consumersTenantID)
	case isGUID(t):
		issuer = microsoftIssuer(base, t)
	}
	dir := base + "/" + tenant
	writeJSON(w, http.StatusOK, microsoftDiscovery{
		TokenEndpoint:                     dir + "/oauth2/v2.0/token",
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "client_secret_basic"},
		JWKSURI:                           dir + "/discovery/v2.0/keys",
		ResponseModesSupported:            []string{"query"},
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  []string{string(p.keys.alg)},
		ResponseTypesSupported:            []string{"code"},
		ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
		Issuer:                            issuer,
		UserinfoEndpoint:                  base + "/oidc/userinfo",
		AuthorizationEndpoint:             dir + "/oauth2/v2.0/authorize",
		HTTPLogoutSupported:               true,
		FrontchannelLogoutSupported:       true,
		EndSessionEndpoint:                dir + "/oauth2/v2.0/logout",
		ClaimsSupported: []string{"sub", "iss", "aud", "exp", "iat", "nbf", "nonce", "preferred_username",
			"name", "tid", "oid", "ver", "at_hash", "email", "xms_edov"},
		CloudInstanceName: "microsoftonline.com",
	})
}

// admitTenant lets l sign in at tenant's endpoints: any user at common, a
// work account at organizations, a personal one at consumers, and only
// the tenant's users at a tenant GUID.
func admitTenant(tenant string, l login) *oauthError {
	tid := microsoftAccountFor(l.ms).TenantID
	t := strings.ToLower(tenant)
	ok := true
	switch {
	case t == "organizations":
		ok = tid != consumersTenantID
	case t == "consumers":
		ok = tid == consumersTenantID
	case isGUID(t):
		ok = tid == t
	}
	if ok {
		return nil
	}
	return &oauthError{code: "access_denied", description: fmt.Sprintf(
		"AADSTS50020: User account '%s' from identity provider 'https://sts.windows.net/%s/' does not exist in tenant '%s' and cannot access the application.",
		l.email, tid, tenant)}
}

// microsoftClaims turns OpenID claims into a v2.0 ID token's for login l
// and returns the fault still to apply: Microsoft's issuer of the user's
// tenant, tid, oid, ver, preferred_username and name with profile, email
// and xms_edov with email, and neither azp, auth_time nor an
// email_verified of its own. The email faults act on xms_edov.
func microsoftClaims(c map[string]any, base, scope string, l login, f Fault) Fault {
	acct := microsoftAccountFor(l.ms)
	c["iss"] = microsoftIssuer(base, acct.TenantID)
	c["tid"] = acct.TenantID
	c["ver"] = "2.0"
	c["nbf"] = c["iat"]
	c["oid"] = microsoftObjectID(acct.TenantID, l.email)
	delete(c, "azp")
	delete(c, "auth_time")
	if _, own := l.claims["email_verified"]; !own {
		delete(c, "email_verified")
	}
	if hasWord(scope, "profile") {
		if _, own := l.claims["preferred_username"]; !own {
			c["preferred_username"] = l.email
		}
	} else {
		delete(c, "name")
	}
	if !hasWord(scope, "email") {
		delete(c, "email")
		return f
	}
	c["xms_edov"] = acct.edov()
	switch f {
	case FaultEmailUnverified:
		c["xms_edov"] = false
		return ""
	case FaultMissingEmail:
		delete(c, "xms_edov")
	}
	return f
}

// microsoftObjectID is a user's oid: a GUID stable per tenant and email.
func microsoftObjectID(tid, email string) string {
	s := sha256.Sum256([]byte("mockidp-oid:" + tid + ":" + strings.ToLower(email)))
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// aadsts are the AADSTS codes of the mock's errors.
var aadsts = map[string]int{
	"invalid_grant": 70000, "invalid_client": 7000215, "invalid_request": 900144,
	"unauthorized_client": 700016, "unsupported_grant_type": 70003, "invalid_scope": 70011,
	"server_error": 50000, "access_denied": 65004, "invalid_tenant": 90002,
	"login_required": 50058, "consent_required": 65001, "unsupported_response_type": 700054,
}

// microsoftDescription prefixes an error's description with its AADSTS code.
func microsoftDescription(code, desc string) (string, int) {
	n := aadsts[code]
	if n == 0 {
		n = 90014
	}
	if strings.HasPrefix(desc, "AADSTS") {
		_, _ = fmt.Sscanf(desc, "AADSTS%d", &n)
		return desc, n
	}
	return fmt.Sprintf("AADSTS%d: %s", n, desc), n
}

// microsoftAuthorizeError gives an authorization error an AADSTS code.
func microsoftAuthorizeError(v url.Values) {
	if code := v.Get("error"); code != "" {
		desc, n := microsoftDescription(code, v.Get("error_description"))
		v.Set("error_description", desc)
		v.Set("error_uri", fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", n))
	}
}

// writeMicrosoftError answers as Microsoft's token endpoint does.
func (p *Provider) writeMicrosoftError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized && e.code == "invalid_client" {
		w.Header().Set("WWW-Authenticate", `Basic realm="mockidp"`)
	}
	desc, n := microsoftDescription(e.code, e.description)
	now := p.opts.Now().UTC().Format("2006-01-02 15:04:05Z")
	trace, corr := microsoftObjectID("trace", randomToken()), microsoftObjectID("correlation", randomToken())
	writeJSON(w, e.status, map[string]any{
		"error":             e.code,
		"error_description": fmt.Sprintf("%s Trace ID: %s Correlation ID: %s Timestamp: %s", desc, trace, corr, now),
		"error_codes":       []int{n},
		"timestamp":         now,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", n),
	})
}

package clientcreds

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/internal/respond"
	"github.com/oauthgate/oauthgate/internal/throttle"
)

// Routes implements handlers.RouteProvider: the token endpoint, POST
// /oauth/token (and POST /token, where simple_oauth_server served it), and
// the key set of the tokens, GET /.well-known/jwks.json, relative to the
// Manager's prefix. handlers.Mount serves them when the Issuer is one of
// the Manager's MachineIssuers. The token endpoint takes client
// credentials, never a cookie. The routes under
// handlers.ClientsAdminPath manage the stored clients (see adminRoutes).
func (g *Issuer) Routes() []handlers.Route {
	return append([]handlers.Route{
		{Method: http.MethodPost, Path: "/token", Handler: http.HandlerFunc(g.serveToken)},
		{Method: http.MethodPost, Path: "/oauth/token", Handler: http.HandlerFunc(g.serveToken)},
		{Method: http.MethodGet, Path: "/.well-known/jwks.json", Handler: http.HandlerFunc(g.serveJWKS)},
	}, g.adminRoutes()...)
}

// clientTokenResponse is the client-credentials answer (RFC 6749 §5.1).
// Token repeats AccessToken: clients of simple_oauth_server read that key.
type clientTokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	Token       string `json:"token"`
}

// tokenParams are the parameters of a token request.
var tokenParams = []string{"grant_type", "client_id", "client_secret", "audience", "scope"}

// clientToken answers POST /oauth/token (and POST /token): the OAuth 2.0
// client-credentials grant. The client authenticates with HTTP Basic or
// with client_id and client_secret in the body (form or JSON); when both
// are present they must agree.
func (g *Issuer) serveToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	req, err := readTokenRequest(w, r)
	if err != nil {
		g.oauthFail(w, r, "", err)
		return
	}
	req.ClientAddr, _ = g.proxies.Client(r)
	tok, err := g.IssueToken(r.Context(), req)
	if err != nil {
		g.oauthFail(w, r, req.ClientID, err)
		return
	}
	g.log.Info("client token issued", "client_id", tok.ClientID, "aud", tok.Audience, "scope", tok.Scope, "jti", tok.ID)
	respond.JSON(w, http.StatusOK, clientTokenResponse{
		AccessToken: tok.AccessToken, TokenType: "Bearer", ExpiresIn: tok.ExpiresIn, Scope: tok.Scope, Token: tok.AccessToken,
	})
}

// oauthFail answers a refused token request as an RFC 6749 §5.2 error,
// after logging it: never a secret (neither the request body nor the
// Authorization header is logged), and refusals at Info level, an audit
// trail of who was refused.
func (g *Issuer) oauthFail(w http.ResponseWriter, r *http.Request, clientID string, err error) {
	e := auth.ErrorOf(err)
	msg := "client token refused"
	args := []any{"error", e.Code, "status", e.Status, "client_id", clientID, "path", r.URL.Path}
	if e.Err != nil {
		args = append(args, "cause", e.Err.Error())
	}
	switch {
	case e.Status == http.StatusTooManyRequests || errors.Is(e.Err, throttle.ErrQueueFull):
		// Throttled or saturated: cheap to cause, so one line per request
		// would let a flood fill the log; IssueToken logs when it begins.
		g.log.Debug(msg, args...)
	case e.Status >= 500:
		g.log.Error(msg, args...)
	default:
		g.log.Info(msg, args...)
	}
	respond.Fail(w, r, nil, e, respond.AsOAuth)
}

func invalidRequest(desc string) *auth.Error {
	return oauthError(CodeInvalidRequest, http.StatusBadRequest, desc)
}

// readTokenRequest reads the parameters from a form or JSON body and the
// client credentials from HTTP Basic or the body.
func readTokenRequest(w http.ResponseWriter, r *http.Request) (TokenRequest, error) {
	var req TokenRequest
	params, err := readTokenBody(w, r)
	if err != nil {
		return req, err
	}
	switch gt := params["grant_type"]; gt {
	case "":
		return req, invalidRequest("grant_type is missing")
	case "client_credentials":
	default:
		return req, &auth.Error{Code: CodeUnsupportedGrantType, Status: http.StatusBadRequest,
			Msg: "only grant_type=client_credentials is supported here"}
	}
	req.ClientID, req.ClientSecret = params["client_id"], params["client_secret"]
	req.Audience, req.Scope = params["audience"], params["scope"]
	if _, _, ok := r.BasicAuth(); ok || r.Header.Get("Authorization") != "" {
		id, secret, ok := basicCredentials(r)
		if !ok {
			return req, &auth.Error{Code: CodeInvalidClient, Status: http.StatusUnauthorized,
				Msg: "the Authorization header is not valid HTTP Basic client authentication"}
		}
		if req.ClientID != "" && req.ClientID != id ||
			req.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(req.ClientSecret), []byte(secret)) != 1 {
			return req, invalidRequest("the client credentials of the Authorization header and of the body differ")
		}
		req.ClientID, req.ClientSecret = id, secret
	}
	return req, nil
}

// basicCredentials reads HTTP Basic client credentials. RFC 6749 §2.3.1
// has clients form-encode the id and secret first; most do not, so a value
// is decoded only when it contains '%'.
func basicCredentials(r *http.Request) (id, secret string, ok bool) {
	id, secret, ok = r.BasicAuth()
	if !ok || len(r.Header.Values("Authorization")) != 1 {
		return "", "", false
	}
	dec := func(s string) string {
		if !strings.Contains(s, "%") {
			return s
		}
		if d, err := url.QueryUnescape(s); err == nil {
			return d
		}
		return s
	}
	return dec(id), dec(secret), id != ""
}

// readTokenBody reads a form or JSON body into single-valued parameters.
// A repeated parameter is refused (RFC 6749 §3.2).
func readTokenBody(w http.ResponseWriter, r *http.Request) (map[string]string, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" && mt != "application/json" {
		return nil, invalidRequest("send the parameters as application/x-www-form-urlencoded or application/json")
	}
	if r.ContentLength > handlers.MaxBodyBytes {
		return nil, &auth.Error{Code: CodeInvalidRequest, Status: http.StatusRequestEntityTooLarge, Msg: "the request body is too large"}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, handlers.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &auth.Error{Code: CodeInvalidRequest, Status: http.StatusRequestEntityTooLarge, Msg: "the request body is too large"}
		}
		return nil, &auth.Error{Code: CodeInvalidRequest, Status: http.StatusBadRequest, Msg: "could not read the request body", Err: err}
	}
	if !utf8.Valid(data) {
		return nil, invalidRequest("the request body is not valid UTF-8")
	}
	params := make(map[string]string, len(tokenParams))
	if mt == "application/json" {
		var raw map[string]json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&raw); err != nil || raw == nil || dec.More() {
			return nil, invalidRequest("the request body must be one JSON object")
		}
		if repeatedKey(data) {
			return nil, invalidRequest("a parameter appears more than once")
		}
		for _, name := range tokenParams {
			v, ok := raw[name]
			if !ok || string(v) == "null" {
				continue
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				return nil, invalidRequest(name + " must be a string")
			}
			params[name] = s
		}
		return params, nil
	}
	form, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, invalidRequest("the form body is malformed")
	}
	for _, name := range tokenParams {
		switch v := form[name]; len(v) {
		case 0:
		case 1:
			params[name] = v[0]
		default:
			return nil, invalidRequest(name + " appears more than once")
		}
	}
	return params, nil
}

// repeatedKey reports whether the JSON object data (already decoded once)
// has a key twice: encoding/json would keep the last one silently.
func repeatedKey(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return true
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		key, _ := tok.(string)
		if err != nil || seen[key] {
			return true
		}
		seen[key] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return true
		}
	}
	return false
}

// serveJWKS serves the public keys of the tokens.
func (g *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	set, err := g.JWKS()
	if err != nil {
		e := respond.NewError(http.StatusServiceUnavailable, "the key set is unavailable", err)
		respond.Fail(w, r, g.log, e, respond.AsJSON)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(set)
}

package mockidp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
)

// readParams reads a token, revocation or control request body: form
// encoded (RFC 6749) or, as simple_oauth_server also accepts, a JSON object
// of strings. The body is already bounded by ServeHTTP.
func readParams(r *http.Request) (url.Values, *oauthError) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var obj map[string]any
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&obj); err != nil {
			return nil, errInvalidRequest("malformed JSON body")
		}
		if dec.More() {
			return nil, errInvalidRequest("malformed JSON body: trailing data")
		}
		v := url.Values{}
		for k, x := range obj {
			s, ok := x.(string)
			if !ok {
				return nil, errInvalidRequest("parameter " + k + " must be a string")
			}
			v.Set(k, s)
		}
		return v, nil
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errInvalidRequest("request body too large")
		}
		return nil, errInvalidRequest("malformed form body")
	}
	for k, vs := range r.PostForm {
		if len(vs) > 1 {
			return nil, errInvalidRequest("parameter " + k + " given more than once")
		}
	}
	return r.PostForm, nil
}

// authenticateClient checks client_secret_basic, client_secret_post or, for
// a public client, its client_id alone.
func (p *Provider) authenticateClient(r *http.Request, params url.Values) (string, Client, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return "", Client{}, errInvalidClient("malformed Basic credentials")
		}
		if params.Has("client_secret") {
			return "", Client{}, errInvalidRequest("use one client authentication method, not two")
		}
		if pid := params.Get("client_id"); pid != "" && pid != id {
			return "", Client{}, errInvalidClient("client_id does not match the Basic credentials")
		}
	} else {
		id, secret = params.Get("client_id"), params.Get("client_secret")
	}
	return p.checkClient(id, secret, basic)
}

// authenticateClientInBody is GitHub's client authentication: client_id
// and client_secret in the body, as its documentation gives them; an
// Authorization header is not read.
func (p *Provider) authenticateClientInBody(params url.Values) (string, Client, *oauthError) {
	return p.checkClient(params.Get("client_id"), params.Get("client_secret"), false)
}

// checkClient checks a client's credentials.
func (p *Provider) checkClient(id, secret string, basic bool) (string, Client, *oauthError) {
	if id == "" {
		return "", Client{}, errInvalidClient("client authentication required")
	}
	c, ok := p.lookupClient(id)
	if !ok {
		secretsEqual(secret, "unknown-client") // same work as for a known client
		return "", Client{}, errInvalidClient("unknown client")
	}
	if c.public() {
		if secret != "" || basic {
			return "", Client{}, errInvalidClient("a public client has no secret")
		}
		return id, c, nil
	}
	if !secretsEqual(secret, c.Secret) {
		return "", Client{}, errInvalidClient("bad client credentials")
	}
	return id, c, nil
}

// secretsEqual compares in constant time, whatever the lengths.
func secretsEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

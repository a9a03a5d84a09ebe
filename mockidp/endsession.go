package mockidp

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
)

var signedOutPage = template.Must(template.New("out").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signed out - mock identity provider</title></head>
<body><h1>Signed out</h1><p>You are signed out of the mock identity provider{{if .}} ({{.}}){{end}}.</p></body></html>`))

// handleEndSession is RP-initiated logout (OpenID Connect RP-Initiated
// Logout 1.0). The session named by id_token_hint is revoked; the user
// agent goes to post_logout_redirect_uri only if that URI is registered for
// the client the hint (or client_id) names.
func (p *Provider) handleEndSession(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			writeOAuthError(w, errInvalidRequest("malformed form body"))
			return
		}
		params = r.PostForm
	}
	clientID := params.Get("client_id")
	var sid string
	if hint := params.Get("id_token_hint"); hint != "" {
		payload, typ, err := p.keys.verify(hint)
		var c struct {
			Issuer string          `json:"iss"`
			Aud    json.RawMessage `json:"aud"`
			AZP    string          `json:"azp"`
			SID    string          `json:"sid"`
			TID    string          `json:"tid"`
		}
		ok := err == nil && typ == "JWT" && json.Unmarshal(payload, &c) == nil
		iss := p.issuerFor(r)
		if p.opts.Mode == ModeMicrosoft {
			iss = microsoftIssuer(iss, c.TID) // the issuer of the user's tenant
		}
		if !ok || c.Issuer != iss {
			writeOAuthError(w, errInvalidRequest("id_token_hint is not an ID token of this provider"))
			return
		}
		hinted := c.AZP
		if hinted == "" {
			_ = json.Unmarshal(c.Aud, &hinted)
		}
		if clientID != "" && hinted != clientID {
			writeOAuthError(w, errInvalidRequest("client_id does not match id_token_hint"))
			return
		}
		clientID, sid = hinted, c.SID
	}
	target := params.Get("post_logout_redirect_uri")
	if target != "" {
		client, ok := p.lookupClient(clientID)
		if clientID == "" || !ok {
			writeOAuthError(w, errInvalidRequest("post_logout_redirect_uri needs id_token_hint or a known client_id"))
			return
		}
		if !client.redirectAllowed(target, true) {
			writeOAuthError(w, errInvalidRequest("post_logout_redirect_uri is not registered for this client"))
			return
		}
	}
	if sid != "" {
		p.mu.Lock()
		p.revokeFamilyLocked(sid)
		p.mu.Unlock()
	}
	if target != "" {
		p.redirectTo(w, r, target, url.Values{"state": {params.Get("state")}})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = signedOutPage.Execute(w, clientID)
}

package mockidp

import (
	"encoding/json"
	"mime"
	"net/http"
	"time"
)

// controlRoutes registers the test-only endpoints. They change the
// provider for every caller and have no authentication: a mock provider
// listens on loopback only.
//
//	POST /set_email             form or JSON {"email": "a@b.c"} (easy-oauth's mock)
//	POST /control/fault         JSON {"fault": "bad_signature", "count": 1}; {"clear": true} drops all
//	POST /control/latency       JSON {"latency": "250ms"}
//	POST /control/rotate        rotates the signing key; answers {"kid": ...}
//	POST /control/next_login    JSON {"email": ..., "claims": {...}}, optionally "name", "sub",
//	                            "github": {...} and "microsoft": {...} ([GitHubAccount], [MicrosoftAccount])
//	POST /control/user          the same JSON: defines or redefines a known user ([Provider.SetUser])
//	POST /control/delete_user   JSON {"email": ...}
//	POST /control/restore_user  JSON {"email": ...}
//	POST /control/user_claims   JSON {"email": ..., "claims": {...}}; "claims": null undoes
func (p *Provider) controlRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /set_email", p.handleSetEmail)
	m.HandleFunc("POST /control/fault", p.handleFault)
	m.HandleFunc("POST /control/latency", p.handleLatency)
	m.HandleFunc("POST /control/rotate", p.handleRotate)
	m.HandleFunc("POST /control/next_login", p.handleNextLogin)
	m.HandleFunc("POST /control/user", p.handleSetUser)
	m.HandleFunc("POST /control/delete_user", p.handleUserState(true))
	m.HandleFunc("POST /control/restore_user", p.handleUserState(false))
	m.HandleFunc("POST /control/user_claims", p.handleUserClaims)
}

func controlError(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": msg})
}

// decodeJSON reads a JSON object body strictly.
func decodeJSON(r *http.Request, v any) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" && ct != "" {
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	return dec.Decode(v) == nil && !dec.More()
}

func (p *Provider) handleSetEmail(w http.ResponseWriter, r *http.Request) {
	params, oerr := readParams(r)
	if oerr != nil {
		controlError(w, oerr.description)
		return
	}
	email := params.Get("email")
	if err := p.SetEmail(email); err != nil {
		controlError(w, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "email": email})
}

func (p *Provider) handleFault(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Fault string `json:"fault"`
		Count int    `json:"count"`
		Clear bool   `json:"clear"`
	}
	if !decodeJSON(r, &body) {
		controlError(w, `want JSON {"fault": name, "count": n} or {"clear": true}`)
		return
	}
	if body.Clear {
		p.ClearFaults()
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	if body.Count == 0 {
		body.Count = 1
	}
	if err := p.FailNextN(Fault(body.Fault), body.Count); err != nil {
		controlError(w, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "fault": body.Fault, "count": body.Count})
}

func (p *Provider) handleLatency(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Latency string `json:"latency"`
	}
	if !decodeJSON(r, &body) {
		controlError(w, `want JSON {"latency": "250ms"}`)
		return
	}
	d, err := time.ParseDuration(body.Latency)
	if err != nil || d < 0 || d > time.Minute {
		controlError(w, "latency must be a duration between 0s and 1m")
		return
	}
	p.SetLatency(d)
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "latency": d.String()})
}

func (p *Provider) handleRotate(w http.ResponseWriter, _ *http.Request) {
	kid, err := p.RotateKeys()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "kid": kid})
}

func (p *Provider) handleNextLogin(w http.ResponseWriter, r *http.Request) {
	var body userBody
	if !decodeJSON(r, &body) {
		controlError(w, `want JSON {"email": ..., "claims": {...}, "github": {...}, "microsoft": {...}}`)
		return
	}
	if err := p.NextLoginUser(body.user()); err != nil {
		controlError(w, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "email": body.Email})
}

func (p *Provider) handleSetUser(w http.ResponseWriter, r *http.Request) {
	var body userBody
	if !decodeJSON(r, &body) {
		controlError(w, `want JSON {"email": ..., "name": ..., "claims": {...}, "github": {...}, "microsoft": {...}}`)
		return
	}
	if err := p.SetUser(body.user()); err != nil {
		controlError(w, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "email": body.Email})
}

func (p *Provider) handleUserState(deleted bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Email string `json:"email"`
		}
		if !decodeJSON(r, &body) || body.Email == "" {
			controlError(w, `want JSON {"email": ...}`)
			return
		}
		if deleted {
			p.DeleteUser(body.Email)
		} else {
			p.RestoreUser(body.Email)
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "email": body.Email})
	}
}

func (p *Provider) handleUserClaims(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email  string         `json:"email"`
		Claims map[string]any `json:"claims"`
	}
	if !decodeJSON(r, &body) || body.Email == "" {
		controlError(w, `want JSON {"email": ..., "claims": {...}}`)
		return
	}
	if err := p.SetUserClaims(body.Email, body.Claims); err != nil {
		controlError(w, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "email": body.Email})
}

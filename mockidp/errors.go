package mockidp

import (
	"encoding/json"
	"net/http"
)

// oauthError is an error answer shaped as RFC 6749 §5.2 describes.
type oauthError struct {
	status      int
	code        string
	description string
}

func (e *oauthError) Error() string { return "mockidp: " + e.code + ": " + e.description }

func errInvalidRequest(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", desc}
}

func errInvalidClient(desc string) *oauthError {
	return &oauthError{http.StatusUnauthorized, "invalid_client", desc}
}

func errInvalidGrant(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", desc}
}

// writeJSON answers with a JSON body that no cache may keep.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized && e.code == "invalid_client" {
		w.Header().Set("WWW-Authenticate", `Basic realm="mockidp"`)
	}
	body := map[string]string{"error": e.code}
	if e.description != "" {
		body["error_description"] = e.description
	}
	writeJSON(w, e.status, body)
}

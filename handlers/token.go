package handlers

import (
	"net/http"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/redirect"
	"github.com/oauthgate/oauthgate/internal/respond"
)

// userTokenResponse is GET /token's answer for a user. The key name
// refresh_token is easy-oauth's, kept so its clients work unchanged.
type userTokenResponse struct {
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresAt    string `json:"expires_at"`
}

// serviceTokenResponse is GET /token?user=name@service's answer.
type serviceTokenResponse struct {
	ServiceToken string   `json:"service_token"`
	User         string   `json:"user"`
	Capabilities []string `json:"capabilities"`
	ExpiresAt    string   `json:"expires_at"`
}

// token mints a bearer token: the caller's own (GET /token), or a service
// account's (GET /token?user=name@service, which needs user_management).
// A request without any credential is sent through the login (asking for
// offline access) and back here, as a browser expects; without browser
// login (auth.Config.NoLogin) it gets 404, a page for a browser and JSON
// {"detail"} for an API client.
func (h *routes) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	id, err := h.identify(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if id.IsGuest() {
		if h.m.Config().NoLogin() {
			h.noLogin(w, r)
			return
		}
		// Through the login (asking for offline access) and back here,
		// query included (?user=...).
		redirect.ToLogin(w, r, h.m.Login().Path(), r.URL.RequestURI(), true)
		return
	}
	if account, ok := r.URL.Query()["user"]; ok {
		if len(account) != 1 || account[0] == "" {
			h.fail(w, r, badRequest("user must name one service account, such as bot@service", nil))
			return
		}
		tok, err := h.m.IssueServiceToken(r.Context(), id, account[0])
		if err != nil {
			h.fail(w, r, err)
			return
		}
		caps := tok.Capabilities
		if caps == nil {
			caps = []string{}
		}
		respond.JSON(w, http.StatusOK, serviceTokenResponse{
			ServiceToken: tok.Token,
			User:         tok.Subject,
			Capabilities: caps,
			ExpiresAt:    tok.ExpiresAt.UTC().Format(time.RFC3339),
		})
		return
	}
	tok, err := h.m.IssueUserToken(w, r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, userTokenResponse{
		RefreshToken: tok.Token,
		TokenType:    "Bearer",
		ExpiresAt:    tok.ExpiresAt.UTC().Format(time.RFC3339),
	})
}

// noLogin answers a guest's GET /token when the app has no browser login:
// there is no login to send it through.
func (h *routes) noLogin(w http.ResponseWriter, r *http.Request) {
	err := respond.NewError(http.StatusNotFound,
		"This app has no browser login: user tokens are not available; call it with a machine or service token.", auth.ErrNoLogin)
	respond.Fail(w, r, h.m.Config().Logger, err, respond.AsNegotiated)
}

// revokeRequest is POST /token/revoke's body: {"token": T} revokes one
// token, {"email": E, "all": true} every token and session of E issued so
// far ({"all": true} alone: the caller's own).
type revokeRequest struct {
	Token string `json:"token"`
	Email string `json:"email"`
	All   bool   `json:"all"`
}

type revokeResponse struct {
	Status  string `json:"status"`
	Email   string `json:"email,omitempty"`
	Revoked string `json:"revoked"` // "token" or "all"
}

// revoke revokes one token or all the tokens of a user. The caller may
// revoke its own; other people's need user_management (checked by auth).
func (h *routes) revoke(w http.ResponseWriter, r *http.Request) {
	id, err := h.requireIdentity(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req revokeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	switch {
	case req.Token != "" && (req.Email != "" || req.All):
		h.fail(w, r, badRequest(`give either "token" or "email" with "all": true, not both`, nil))
	case req.Token != "":
		// A bad token here is an argument, not the caller's credential:
		// RevokeToken refuses it 400, never 401 (which would ask the
		// caller to log in again).
		if err := h.m.RevokeToken(r.Context(), id, req.Token); err != nil {
			h.fail(w, r, err)
			return
		}
		respond.JSON(w, http.StatusOK, revokeResponse{Status: "ok", Revoked: "token"})
	case req.All:
		email := req.Email
		if email == "" {
			email = id.Email
		}
		if err := h.m.RevokeAll(r.Context(), id, email); err != nil {
			h.fail(w, r, err)
			return
		}
		respond.JSON(w, http.StatusOK, revokeResponse{Status: "ok", Email: email, Revoked: "all"})
	case req.Email != "":
		h.fail(w, r, badRequest(`to revoke every token of a user, send "all": true with "email"`, nil))
	default:
		h.fail(w, r, badRequest(`missing field "token" (or "email" with "all": true)`, nil))
	}
}

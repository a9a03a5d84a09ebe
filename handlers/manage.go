package handlers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/internal/respond"
)

// capsResponse is the answer of every /manage_capabilities route, in
// easy-oauth's shape. Capabilities are the stored ones; Effective, when
// given, is what the user holds once defaults, overrides and implications
// are added. Users and Graph are given to managers listing without email.
// omitzero, not omitempty: a given but empty set is still sent ([] or {}).
type capsResponse struct {
	Status       string              `json:"status"`
	Email        string              `json:"email"`
	Capabilities []string            `json:"capabilities"`
	Effective    []string            `json:"effective,omitzero"`
	Users        map[string][]string `json:"users,omitzero"`
	Graph        map[string][]string `json:"graph,omitzero"`
}

// list answers GET /manage_capabilities/list and /list_user (?email=).
// The email defaults to the caller; reading another user needs
// user_management (checked by auth).
func (h *routes) list(w http.ResponseWriter, r *http.Request) {
	id, err := h.requireIdentity(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	email := capabilities.NormalizeEmail(r.URL.Query().Get("email")) // checked by auth
	own := email == ""
	if own {
		email = id.Email
	}
	stored, err := h.m.Users().Get(r.Context(), id, email)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp := capsResponse{Status: "ok", Email: capabilities.NormalizeEmail(email), Capabilities: nonNil(stored)}
	if own {
		resp.Effective = nonNil(id.Capabilities())
	} else if eff, ok := h.effective(resp.Email, stored); ok {
		resp.Effective = eff
	}
	if own && h.holds(id, auth.UserManagementCapability) {
		users, err := h.m.Users().Store().List(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if users == nil {
			users = map[string][]string{}
		}
		resp.Users = users
		resp.Graph = h.m.Users().Policy().Graph().Implications()
	}
	respond.JSON(w, http.StatusOK, resp)
}

// effective is the closed set that the account with these stored
// capabilities holds now (a service token adds its snapshot as a bound).
func (h *routes) effective(email string, stored []string) ([]string, bool) {
	p := h.m.Users().Policy()
	set, err := p.Effective(email, stored)
	if err != nil {
		return nil, false
	}
	return nonNil(p.Graph().SetNames(set)), true
}

// holds reports whether id holds the named capability, false when the
// graph does not define it.
func (h *routes) holds(id *auth.Identity, name string) bool {
	c, ok := h.m.Users().Policy().Graph().Lookup(name)
	return ok && id.HasCap(c)
}

// changeRequest is the body of add, remove and set: {"email", "capability"}
// (easy-oauth's add/remove) or {"email", "capabilities": [...]} (its set).
type changeRequest struct {
	Email        string    `json:"email"`
	Capability   *string   `json:"capability"`
	Capabilities *[]string `json:"capabilities"`
}

// names returns the capabilities the request names, in either form.
func (c *changeRequest) names() ([]string, error) {
	switch {
	case c.Capability != nil && c.Capabilities != nil:
		return nil, badRequest(`give "capability" or "capabilities", not both`, nil)
	case c.Capability != nil:
		if *c.Capability == "" {
			return nil, badRequest(`field "capability" is empty`, nil)
		}
		return []string{*c.Capability}, nil
	case c.Capabilities != nil:
		for i, name := range *c.Capabilities {
			if name == "" {
				return nil, badRequest("capabilities["+strconv.Itoa(i)+"] is empty", nil)
			}
		}
		return *c.Capabilities, nil
	default:
		return nil, badRequest(`missing field "capability" or "capabilities"`, nil)
	}
}

type changeFunc func(ctx context.Context, by *auth.Identity, email string, caps []string) ([]string, error)

// add answers POST /manage_capabilities/add.
func (h *routes) add(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, false, func(ctx context.Context, by *auth.Identity, email string, caps []string) ([]string, error) {
		return h.m.Users().Add(ctx, by, email, caps...)
	})
}

// remove answers POST /manage_capabilities/remove.
func (h *routes) remove(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, false, func(ctx context.Context, by *auth.Identity, email string, caps []string) ([]string, error) {
		return h.m.Users().Remove(ctx, by, email, caps...)
	})
}

// set answers POST /manage_capabilities/set; an empty list is allowed and
// leaves the user with no stored capability.
func (h *routes) set(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, true, h.m.Users().Set)
}

func (h *routes) change(w http.ResponseWriter, r *http.Request, allowEmpty bool, apply changeFunc) {
	id, err := h.requireIdentity(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req changeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	email := capabilities.NormalizeEmail(req.Email) // checked by auth
	if email == "" {
		h.fail(w, r, badRequest(`missing field "email"`, nil))
		return
	}
	caps, err := req.names()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(caps) == 0 && !allowEmpty {
		h.fail(w, r, badRequest(`field "capabilities" is empty`, nil))
		return
	}
	stored, err := apply(r.Context(), id, email, caps)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, capsResponse{
		Status:       "ok",
		Email:        capabilities.NormalizeEmail(email),
		Capabilities: nonNil(stored),
	})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

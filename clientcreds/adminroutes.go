package clientcreds

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/internal/respond"
)

// adminRoutes are the JSON routes that manage the machine clients of the
// store, for holders of user_management (handlers.Routes guards them:
// 401, 403, and POSTs from the app's own origin only). The admin page
// calls them. Clients of the configuration are listed but not changed
// here: the file is theirs.
func (g *Issuer) adminRoutes() []handlers.Route {
	const p = handlers.ClientsAdminPath
	guarded := func(method, path string, h http.HandlerFunc) handlers.Route {
		return handlers.Route{Method: method, Path: path, Handler: h, Capability: auth.UserManagementCapability}
	}
	return []handlers.Route{
		guarded(http.MethodGet, p, g.serveClients),
		guarded(http.MethodPost, p+"/disable", func(w http.ResponseWriter, r *http.Request) { g.serveSetDisabled(w, r, true) }),
		guarded(http.MethodPost, p+"/enable", func(w http.ResponseWriter, r *http.Request) { g.serveSetDisabled(w, r, false) }),
		guarded(http.MethodPost, p+"/rotate_secret", g.serveRotate),
	}
}

// clientView is one client in GET /manage_capabilities/clients: never its
// secret or hash.
type clientView struct {
	ClientID string   `json:"client_id"`
	Sub      string   `json:"sub"`
	Audience []string `json:"audience"`
	Scope    string   `json:"scope"`
	Disabled bool     `json:"disabled"`
	// Source is "config" (the configuration's clients, changed in the
	// file) or "store" (changed here or with `oauthgate clients`).
	Source string `json:"source"`
}

type clientsResponse struct {
	Status  string       `json:"status"`
	Clients []clientView `json:"clients"`
}

func viewOf(c store.Client, source string) clientView {
	return clientView{ClientID: c.ID, Sub: c.Sub(), Audience: nonNil(c.Audience), Scope: strings.Join(c.Scope, " "),
		Disabled: c.Disabled, Source: source}
}

// serveClients answers GET /manage_capabilities/clients: the clients of
// the configuration, then those of the store that none of them hides.
func (g *Issuer) serveClients(w http.ResponseWriter, r *http.Request) {
	stored, err := g.store.Clients(r.Context())
	if err != nil {
		g.adminFail(w, r, err)
		return
	}
	out := make([]clientView, 0, len(g.static)+len(stored))
	for _, id := range sortedKeys(g.static) {
		out = append(out, viewOf(g.static[id], "config"))
	}
	for _, c := range stored {
		if _, hidden := g.static[c.ID]; !hidden {
			out = append(out, viewOf(c, "store"))
		}
	}
	respond.JSON(w, http.StatusOK, clientsResponse{Status: "ok", Clients: out})
}

// clientRequest is the body of the POST routes.
type clientRequest struct {
	ClientID string `json:"client_id"`
}

type clientStateResponse struct {
	Status   string `json:"status"`
	ClientID string `json:"client_id"`
	Disabled bool   `json:"disabled"`
}

type rotateResponse struct {
	Status       string `json:"status"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// serveSetDisabled answers POST .../clients/disable and .../enable.
func (g *Issuer) serveSetDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	id, err := readClientRequest(w, r)
	if err == nil {
		err = g.changeStored(r.Context(), id, func(c *store.Client) { c.Disabled = disabled })
	}
	if err != nil {
		g.adminFail(w, r, err)
		return
	}
	g.log.Info("clientcreds: client changed", "client_id", id, "disabled", disabled, "by", auth.IdentityFrom(r.Context()).Email)
	respond.JSON(w, http.StatusOK, clientStateResponse{Status: "ok", ClientID: id, Disabled: disabled})
}

// serveRotate answers POST .../clients/rotate_secret: a new random secret,
// in the answer only (only its hash is stored); the old one stops working.
func (g *Issuer) serveRotate(w http.ResponseWriter, r *http.Request) {
	id, err := readClientRequest(w, r)
	var secret, hash string
	if err == nil {
		secret, hash, err = NewClientSecret()
	}
	if err == nil {
		err = g.changeStored(r.Context(), id, func(c *store.Client) { c.SecretHash = hash })
	}
	if err != nil {
		g.adminFail(w, r, err)
		return
	}
	g.log.Info("clientcreds: client secret rotated", "client_id", id, "by", auth.IdentityFrom(r.Context()).Email)
	respond.JSON(w, http.StatusOK, rotateResponse{Status: "ok", ClientID: id, ClientSecret: secret})
}

func readClientRequest(w http.ResponseWriter, r *http.Request) (string, error) {
	var req clientRequest
	if err := handlers.DecodeJSON(w, r, &req); err != nil {
		return "", err
	}
	if req.ClientID == "" {
		return "", respond.NewError(http.StatusBadRequest, `missing field "client_id"`, nil)
	}
	return req.ClientID, nil
}

// changeStored applies change to the stored client id. A client of the
// configuration is refused (409): the file would undo the change.
func (g *Issuer) changeStored(ctx context.Context, id string, change func(*store.Client)) error {
	if _, ok := g.static[id]; ok {
		return respond.NewError(http.StatusConflict,
			"client "+id+" is defined in the configuration file: change it there", nil)
	}
	c, ok, err := g.store.Client(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return respond.NewError(http.StatusNotFound, "no machine client "+id, nil)
	}
	change(&c)
	if err := g.store.PutClient(ctx, c); err != nil {
		switch {
		case errors.Is(err, store.ErrClientNotFound):
			return respond.NewError(http.StatusNotFound, "no machine client "+id, err)
		case errors.Is(err, ErrClientsReadOnly):
			return respond.NewError(http.StatusConflict, "the clients store is read-only here (store.read_only)", err)
		}
		return err
	}
	return nil
}

// adminFail answers an admin route's error as JSON {"detail"}.
func (g *Issuer) adminFail(w http.ResponseWriter, r *http.Request, err error) {
	respond.Fail(w, r, g.log, auth.ErrorOf(err), respond.AsJSON)
}

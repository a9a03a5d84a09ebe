package handlers

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// The admin page's paths, relative to the Manager's prefix.
const (
	// AdminPagePath is the capabilities admin page, served to holders of
	// user_management (guests are sent to the login, others get a 403
	// page) unless [auth.Config.AdminPage] is false.
	AdminPagePath = "/manage_capabilities/"
	// ClientsAdminPath is where a [RouteProvider] that manages machine
	// clients serves their list (GET, JSON); the admin page shows its
	// machine clients section only when a provider serves it.
	ClientsAdminPath = "/manage_capabilities/clients"
)

// AdminPageCSP is the Content-Security-Policy of the admin page: its
// script and style come from the app's own files (no inline script or
// style), it talks to the app only, and may not be framed.
const AdminPageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

//go:embed adminpage
var adminFiles embed.FS

var adminTemplate = template.Must(template.New("page.html").
	Funcs(template.FuncMap{"joined": joined, "hasService": emailaddr.IsService}).ParseFS(adminFiles, "adminpage/page.html"))

// adminAsset is a static file of the admin page.
type adminAsset struct {
	name        string // under adminpage/, and under the page's path
	contentType string
}

var adminAssets = []adminAsset{
	{"admin.js", "text/javascript; charset=utf-8"},
	{"admin.css", "text/css; charset=utf-8"},
}

// adminPageRoutes returns the admin page's routes: the page and its
// files; none when the page is off or the graph has no user_management
// (nobody could see it). others are the other routes: the page offers
// client management when a provider serves it.
func (h *routes) adminPageRoutes(others []Route) []Route {
	cfg := h.m.Config()
	if !cfg.AdminPageEnabled() {
		return nil
	}
	if _, ok := h.m.Users().Policy().Graph().Lookup(auth.UserManagementCapability); !ok {
		return nil
	}
	p := cfg.Prefix
	page := &adminPage{h: h, methods: map[string][]string{}}
	for _, rt := range others {
		page.clients = page.clients || rt.Method == http.MethodGet && rt.Path == p+ClientsAdminPath
		page.methods[rt.Path] = append(page.methods[rt.Path], rt.Method)
	}
	page.guarded = h.m.Require(auth.UserManagementCapability, auth.RedirectToLogin)(http.HandlerFunc(page.serve))
	out := []Route{{Method: http.MethodGet, Path: p + AdminPagePath, Handler: page}}
	for _, a := range adminAssets {
		out = append(out, Route{Method: http.MethodGet, Path: p + AdminPagePath + a.name, Handler: serveAsset(a)})
	}
	return out
}

// serveAsset serves one embedded file. The files hold no data: anyone
// may fetch them.
func serveAsset(a adminAsset) http.Handler {
	body, err := adminFiles.ReadFile("adminpage/" + a.name)
	if err != nil {
		panic("handlers: admin page file missing: " + err.Error()) // a build mistake
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Type", a.contentType)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-cache")
		hd.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}

// adminPage serves the admin page to a holder of user_management (the
// route's middleware checked it).
type adminPage struct {
	h       *routes
	clients bool // a provider serves ClientsAdminPath
	// methods are those of the other routes by path: on a ServeMux the
	// page's pattern is a subtree that also gets their other methods.
	methods map[string][]string
	guarded http.Handler // serve, for holders of user_management
}

// adminView is what the page's template shows.
type adminView struct {
	Me                 string
	Prefix             string
	Home               string
	Users              []adminUser
	Services           []adminUser
	Graph              []adminImplication
	Names              []string
	Clients            bool
	Stylesheet, Script string
}

type adminUser struct {
	Email     string
	Stored    []string
	Effective []string
}

type adminImplication struct {
	Name    string
	Implies []string
}

// ServeHTTP answers the page's path with the page, and, on a ServeMux
// (where the pattern is a subtree), the rest as the ServeMux would.
func (a *adminPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != a.h.m.Config().Prefix+AdminPagePath {
		if allowed := a.methods[r.URL.Path]; len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		http.NotFound(w, r)
		return
	}
	a.guarded.ServeHTTP(w, r)
}

// serve writes the page.
func (a *adminPage) serve(w http.ResponseWriter, r *http.Request) {
	h, cfg := a.h, a.h.m.Config()
	id := auth.IdentityFrom(r.Context())
	stored, err := h.m.Users().Store().List(r.Context())
	if err != nil {
		h.failPage(w, r, err)
		return
	}
	v := adminView{
		Me: id.Email, Prefix: cfg.Prefix, Home: "/", Clients: a.clients,
		Names:      h.m.Users().Policy().Graph().Names(),
		Stylesheet: cfg.Prefix + AdminPagePath + "admin.css",
		Script:     cfg.Prefix + AdminPagePath + "admin.js",
	}
	if cfg.BaseURL != "" {
		v.Home = cfg.BaseURL + "/"
	}
	slices.Sort(v.Names)
	emails := make([]string, 0, len(stored))
	for email := range stored {
		emails = append(emails, email)
	}
	slices.Sort(emails)
	for _, email := range emails {
		u := adminUser{Email: email, Stored: nonNil(stored[email])}
		u.Effective, _ = h.effective(email, u.Stored)
		if emailaddr.IsService(email) {
			v.Services = append(v.Services, u)
		} else {
			v.Users = append(v.Users, u)
		}
	}
	impl := h.m.Users().Policy().Graph().Implications()
	for _, name := range v.Names {
		v.Graph = append(v.Graph, adminImplication{Name: name, Implies: impl[name]})
	}
	var buf bytes.Buffer
	if err := adminTemplate.Execute(&buf, v); err != nil {
		h.failPage(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", AdminPageCSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// joined is a template helper: the names separated by ", ", or "—".
func joined(names []string) string {
	if len(names) == 0 {
		return "—"
	}
	return strings.Join(names, ", ")
}

package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/respond"
)

// check serves GET {prefix}/check, the forward-auth endpoint of nginx
// auth_request, Traefik ForwardAuth and Caddy forward_auth. The query
// says the rule:
//
//   - require: "login" (default), "public", or a capability name;
//   - redirect: "1" or "true" sends a browser GET without identity to
//     login (302, for Traefik and Caddy, which pass the answer on),
//     instead of 401 (for nginx, which maps 401 with error_page).
//
// 2xx carries the identity headers of pass_headers (for auth_request_set,
// authResponseHeaders, copy_headers); 401 and 403 are JSON. The original
// request, for the login redirect's next, is read from X-Forwarded-Uri
// (Traefik, Caddy) or X-Original-URI (the nginx convention), and its
// method from X-Forwarded-Method or X-Original-Method.
func (st *state) check(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	need := q.Get("require")
	if need == "" {
		need = RequireLogin
	}
	redirect := q.Get("redirect") == "1" || q.Get("redirect") == "true"
	h, ok := st.checkHandler(need, redirect)
	if !ok {
		respond.Fail(w, r, nil, respond.NewError(http.StatusBadRequest, fmt.Sprintf("unknown capability %q", need), nil), respond.AsJSON)
		return
	}
	if redirect {
		r = originalRequest(r)
	}
	w.Header().Set("Cache-Control", "no-store")
	h.ServeHTTP(w, r)
}

// checkHandler returns the access rule of need, built once per rule.
func (st *state) checkHandler(need string, redirect bool) (http.Handler, bool) {
	key := need
	if redirect {
		key += "\x00r"
	}
	if h, ok := st.checks.Load(key); ok {
		return h.(http.Handler), true
	}
	var opts []auth.RequireOption
	if redirect {
		opts = append(opts, auth.RedirectToLogin)
	}
	if need != RequirePublic && need != RequireLogin {
		if _, ok := st.m.Users().Policy().Graph().Lookup(need); !ok {
			return nil, false
		}
	}
	h := st.rule(need, opts)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := auth.IdentityFrom(r.Context())
		allow(w, id.String())
		// Every identity header is present, empty when the identity has
		// no value for it: Caddy before 2.9 copies its placeholder text
		// for a header the answer lacks.
		hdr := w.Header()
		for _, name := range st.cfg.PassHeaders {
			if name != HeaderJWT {
				hdr[name] = []string{""}
			}
		}
		st.setIdentity(hdr, id, false)
		w.WriteHeader(http.StatusOK)
	}))
	v, _ := st.checks.LoadOrStore(key, h)
	return v.(http.Handler), true
}

// originalRequest returns r with the method and path of the request that
// the proxy is checking, when the proxy says them, so that the login
// redirect comes back to it.
func originalRequest(r *http.Request) *http.Request {
	uri := r.Header.Get("X-Forwarded-Uri")
	if uri == "" {
		uri = r.Header.Get("X-Original-URI")
	}
	method := r.Header.Get("X-Forwarded-Method")
	if method == "" {
		method = r.Header.Get("X-Original-Method")
	}
	if uri == "" && method == "" {
		return r
	}
	r2 := r.Clone(r.Context())
	if uri != "" && strings.HasPrefix(uri, "/") && !strings.HasPrefix(uri, "//") {
		if u, err := url.ParseRequestURI(uri); err == nil {
			r2.URL = u
			r2.RequestURI = uri
		}
	}
	if method != "" {
		r2.Method = strings.ToUpper(method)
	}
	return r2
}

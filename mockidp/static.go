package mockidp

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"path"
	"time"
)

// DemoSPAClientID is the public client (no secret, PKCE, any loopback
// redirect URI) that the /demo/spa page logs in with; [DemoClients] holds it.
const DemoSPAClientID = "oauthgate-spa-demo"

// static holds oauthgate.js, the browser PKCE client, and the demo page's
// script, served at /static/.
//
//go:embed static/*.js
var static embed.FS

// staticFile is one embedded file with its validator.
type staticFile struct {
	body []byte
	etag string
}

var staticFiles = func() map[string]staticFile {
	files := map[string]staticFile{}
	entries, _ := static.ReadDir("static")
	for _, e := range entries {
		b, _ := static.ReadFile("static/" + e.Name())
		sum := sha256.Sum256(b)
		files[e.Name()] = staticFile{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return files
}()

func (p *Provider) staticRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /static/{file}", handleStatic)
	m.HandleFunc("GET /demo/spa", p.handleDemoSPA)
}

// handleStatic serves an embedded script as an ES module any origin may
// import: Access-Control-Allow-Origin: * (a module script is fetched
// without credentials), cached for five minutes and revalidated by ETag.
func handleStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := staticFiles[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", f.etag)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, path.Base(r.URL.Path), time.Time{}, bytes.NewReader(f.body))
}

var demoSPAPage = template.Must(template.New("spa").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Single-page app demo - mock identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
button{padding:.4rem 1rem;margin-right:.5rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}.err{color:#a00}</style>
<script type="module" src="../static/demo-spa.js"></script></head>
<body><main id="app" data-issuer="{{.Issuer}}" data-client="{{.ClientID}}">
<h1>Single-page app demo</h1>
<p>This page signs in to the mock identity provider with <code>oauthgate.js</code>
(authorization code flow with PKCE, as client <b>{{.ClientID}}</b>) and calls <code>/userinfo</code>
with the access token. Test use only.</p>
<p id="who">Loading…</p>
<p><button id="login" hidden>Sign in</button><button id="call" hidden>Call /userinfo</button><button id="logout" hidden>Sign out</button></p>
<p id="error" class="err" role="alert"></p>
<pre id="out"></pre></main></body></html>`))

// handleDemoSPA serves the demo page of oauthgate.js. It needs the public
// demo client ([DemoSPAClientID]) and a loopback provider URL, as the
// demo client's redirect URIs are loopback ones.
func (p *Provider) handleDemoSPA(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	_ = demoSPAPage.Execute(w, struct{ Issuer, ClientID string }{p.issuerFor(r), DemoSPAClientID})
}

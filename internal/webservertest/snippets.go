package webservertest

import (
	"strings"
	"text/template"
)

// Params fill a [Snippet].
type Params struct {
	Listen     string // nginx: the listen address (127.0.0.1:8080, or 80)
	Site       string // Caddy: the site address (http://127.0.0.1:8080, app.example.com)
	Gateway    string // where oauthgate serve listens, host:port
	Upstream   string // the app behind the web server, host:port
	Prefix     string // oauthgate's route prefix, e.g. /oauthgate
	Capability string // what the protected location requires
	// Redirect sends a browser without identity to the login page (the
	// check's redirect=1); without it, it gets 401, as an API client.
	Redirect bool
}

// A Snippet is a web server config shown in the README, kept here as the
// template that the tests run, so that the README shows what is tested.
type Snippet struct {
	Name string
	Lang string // the README's code fence language
	tmpl *template.Template
}

// Render fills the snippet; it panics on a template error, which is a
// bug in the snippet.
func (s Snippet) Render(p Params) string {
	var b strings.Builder
	if err := s.tmpl.Execute(&b, p); err != nil {
		panic("webservertest: " + s.Name + ": " + err.Error())
	}
	return b.String()
}

func snippet(name, lang, text string) Snippet {
	return Snippet{Name: name, Lang: lang, tmpl: template.Must(template.New(name).Option("missingkey=error").Parse(text))}
}

// NginxAuthRequest is the nginx site: oauthgate's routes proxied as they
// are, and a location that asks oauthgate's check about every request
// (auth_request) and hands the identity to the app (auth_request_set).
// Each X-Auth-Request-* header is always set by nginx, so a client cannot
// send its own: an empty value drops the header. auth_request turns any
// answer but 2xx, 401 and 403 into 500, so the check is asked without
// redirect=1 first; a refusal is then asked again, with it, for the
// answer the client gets (the login redirect, or the JSON detail instead
// of nginx's own error page).
var NginxAuthRequest = snippet("nginx", "nginx", `upstream oauthgate {
    server {{.Gateway}};
    keepalive 16;
}

server {
    listen {{.Listen}};

    # oauthgate's own routes: login, the OAuth callback, logout, tokens.
    location {{.Prefix}}/ {
        proxy_pass http://oauthgate;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }

    # The check, asked once per request of a protected location. It gets
    # the request's headers (cookie, Authorization), never its body.
    location = /_oauthgate_check {
        internal;
        proxy_pass http://oauthgate{{.Prefix}}/check?require=$oauthgate_require;
        proxy_pass_request_body off;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Content-Length "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Method $request_method;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Uri $request_uri;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }

    # A refused request gets the check's own answer: {{if .Redirect}}a browser goes to
    # the login page, {{end}}an API client gets 401 or 403 with a JSON detail.
    location @oauthgate_refused {
        proxy_pass http://oauthgate{{.Prefix}}/check?require=$oauthgate_require{{if .Redirect}}&redirect=1{{end}};
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Content-Length "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Method $request_method;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Uri $request_uri;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }

    # The app: users holding "{{.Capability}}" only.
    location / {
        set $oauthgate_require {{.Capability}};
        auth_request /_oauthgate_check;
        error_page 401 403 = @oauthgate_refused;
        auth_request_set $oauthgate_email $upstream_http_x_auth_request_email;
        auth_request_set $oauthgate_user $upstream_http_x_auth_request_user;
        auth_request_set $oauthgate_caps $upstream_http_x_auth_request_capabilities;
        auth_request_set $oauthgate_kind $upstream_http_x_auth_request_kind;
        proxy_set_header X-Auth-Request-Email $oauthgate_email;
        proxy_set_header X-Auth-Request-User $oauthgate_user;
        proxy_set_header X-Auth-Request-Capabilities $oauthgate_caps;
        proxy_set_header X-Auth-Request-Kind $oauthgate_kind;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_pass http://{{.Upstream}};
    }
}
`)

// CaddyForwardAuth is the Caddy site: oauthgate's routes proxied as they
// are, everything else asked of oauthgate's check first (forward_auth)
// with the identity copied to the app's request (copy_headers).
var CaddyForwardAuth = snippet("caddy", "caddyfile", `{{.Site}} {
	# oauthgate's own routes: login, the OAuth callback, logout, tokens.
	handle {{.Prefix}}/* {
		reverse_proxy {{.Gateway}}
	}

	# The app: users holding "{{.Capability}}" only{{if .Redirect}}; a browser without
	# identity goes to the login page{{end}}. route keeps this order: the
	# client's own X-Auth-Request* headers (also with "_") go first.
	route {
		request_header -X-Auth-Request*
		forward_auth {{.Gateway}} {
			uri {{.Prefix}}/check?require={{.Capability}}{{if .Redirect}}&redirect=1{{end}}
			copy_headers X-Auth-Request-Email X-Auth-Request-User X-Auth-Request-Capabilities X-Auth-Request-Kind
		}
		reverse_proxy {{.Upstream}}
	}
}
`)

// TraefikForwardAuth is Traefik's dynamic configuration (file provider):
// a router for oauthgate's routes and one for the app, whose ForwardAuth
// middleware asks oauthgate's check and copies the identity headers
// (authResponseHeaders and authResponseHeadersRegex first remove the
// client's own copies, the regex also other spellings). Traefik is
// not a Debian package: this snippet is checked against Traefik's
// documentation and source, not run.
var TraefikForwardAuth = snippet("traefik", "yaml", `http:
  routers:
    # oauthgate's own routes: login, the OAuth callback, logout, tokens.
    oauthgate:
      rule: "PathPrefix(`+"`{{.Prefix}}/`"+`)"
      service: oauthgate
    # The app: users holding "{{.Capability}}" only.
    app:
      rule: "PathPrefix(`+"`/`"+`)"
      middlewares:
        - oauthgate-{{.Capability}}
      service: app

  middlewares:
    oauthgate-{{.Capability}}:
      forwardAuth:
        address: "http://{{.Gateway}}{{.Prefix}}/check?require={{.Capability}}{{if .Redirect}}&redirect=1{{end}}"
        authResponseHeaders:
          - X-Auth-Request-Email
          - X-Auth-Request-User
          - X-Auth-Request-Capabilities
          - X-Auth-Request-Kind
        # Also drops the client's own spellings such as X-Auth-Request_Email.
        authResponseHeadersRegex: "^X-Auth-Request"

  services:
    oauthgate:
      loadBalancer:
        servers:
          - url: "http://{{.Gateway}}"
    app:
      loadBalancer:
        servers:
          - url: "http://{{.Upstream}}"
`)

package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// Config is a gateway's configuration: the auth configuration (every key
// of [auth.Config], at the top level of the same file), the app's own
// client-credentials grant (the keys of [clientcreds.Config], beside
// them), the AWS authorizer's gateway_authorizer: section, plus the
// gateway's own keys, all read by the same rules (${NAME}, ~CRYPT~, durations such
// as 30d). [LoadConfig] reads it; [Config.Validate] fills in the defaults
// stated on each field.
type Config struct {
	// Auth is the login, session, token and capability configuration.
	Auth auth.Config `yaml:",inline"`
	// ClientCredentials is the app's own client-credentials grant
	// (clients:, clients_file, client_credentials:, and its keys of
	// throttle:), run by the gateway when configured. Its keys sit at the
	// top level, beside Auth's.
	ClientCredentials clientcreds.Config `yaml:"-"`
	// AWSAuthorizer is the gateway_authorizer: section, which `oauthgate
	// authorize` uses; serve checks it and does not use it.
	AWSAuthorizer awsauthorizer.Config `yaml:"gateway_authorizer"`

	// Listen is the address of the gateway's HTTP server. Default
	// "127.0.0.1:4180": loopback only, for a proxy or a container port
	// mapping in front; ":4180" accepts every interface.
	Listen string `yaml:"listen"`
	// TLS, when its files are set, makes Listen serve HTTPS (TLS 1.2 and
	// later). Default: plain HTTP.
	TLS ServerTLS `yaml:"tls"`
	// MetricsListen, if set, is the address of a second server that
	// answers only /metrics (Prometheus), always in plain HTTP. Default:
	// none.
	MetricsListen string `yaml:"metrics_listen"`
	// Upstreams are the apps behind the gateway, matched by path prefix
	// (the longest wins). None for a gateway that only answers
	// forward-auth checks behind nginx, Traefik or Caddy: paths outside the
	// prefix then get 404.
	Upstreams []Upstream `yaml:"upstreams"`
	// PassHeaders are the identity headers sent to the upstreams and
	// answered by {prefix}/check, among X-Auth-Request-Email,
	// X-Auth-Request-User, X-Auth-Request-Capabilities,
	// X-Auth-Request-Kind and Authorization (a short-lived signed JWT, see
	// UpstreamJWT). Names are case-insensitive. Default: the four
	// X-Auth-Request-* headers. Whatever the list, client-sent copies of
	// all of them are removed.
	PassHeaders []string `yaml:"pass_headers"`
	// UpstreamJWT configures the JWT sent as Authorization when
	// pass_headers lists it.
	UpstreamJWT UpstreamJWT `yaml:"upstream_jwt"`
	// Timeouts bound every side of a request.
	Timeouts Timeouts `yaml:"timeouts"`
	// UpstreamTransport chooses how requests reach the upstreams:
	// "direct" (the default) sends a plain-HTTP GET or HEAD without a body
	// or upgrade on the request's own goroutine over a pooled connection,
	// which costs markedly less CPU per request than net/http's Transport,
	// and everything else (HTTPS, bodies, WebSockets, Expect) through that
	// Transport; "standard" sends everything through the Transport.
	UpstreamTransport string `yaml:"upstream_transport"`
	// HealthPath answers 200 while the process runs. Default "/healthz".
	HealthPath string `yaml:"health_path"`
	// ReadyPath answers 200 once the identity provider's discovery has
	// succeeded (at once without a provider, or with a DiscoveryCache
	// file), else 503. Default "/readyz".
	ReadyPath string `yaml:"ready_path"`

	// DiscoveryCache, if set, is a file where the identity provider's
	// discovery document is kept after each successful discovery; a
	// relative path is resolved against the configuration's folder. When
	// it holds the configured provider's document at start, ReadyPath
	// answers 200 at once, even while the provider is down (sessions and
	// tokens are checked without it; logins wait for it). Default: none.
	DiscoveryCache string `yaml:"discovery_cache" conf:"path,written"`

	// Settings made in Go only, never read from YAML. [Gateway.Reload]
	// keeps the running ones when the new configuration leaves them nil.

	// Observer receives the outcome of every request and of every request
	// to the identity provider (metrics, access logs). Default: none.
	Observer Observer `yaml:"-"`
	// Transport, if set, carries the requests to the upstreams instead of
	// the transports built from Timeouts; the upstreams' ca_file and
	// insecure_skip_tls_verify then do not apply.
	Transport http.RoundTripper `yaml:"-"`
}

// ServerTLS is the `tls:` section: the certificate of the gateway's own
// listener. Both files are read again by [Gateway.Reload]; a pair that
// does not load keeps the running certificate.
type ServerTLS struct {
	// CertFile is the PEM certificate chain, the server's certificate
	// first; a relative path is resolved against the configuration's
	// folder.
	CertFile string `yaml:"cert_file" conf:"path"`
	// KeyFile is the PEM private key of CertFile's certificate; a
	// relative path is resolved against the configuration's folder.
	KeyFile string `yaml:"key_file" conf:"path"`

	cert *tls.Certificate
}

// Enabled reports whether the listener serves HTTPS.
func (t *ServerTLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// Upstream is one app behind the gateway.
type Upstream struct {
	// PathPrefix selects the requests for this upstream: "/" (all), or
	// "/app", which matches /app and /app/..., ignoring ASCII case;
	// letters, digits and -._~$&+,:=@ between the slashes. Required.
	PathPrefix string `yaml:"path_prefix"`
	// URL is where the requests go: http or https, with an optional
	// path that is put in front of the request's path. Required.
	URL string `yaml:"url"`
	// Require is who may pass: "public" (anyone; the identity, if any, is
	// still sent), "login" (any user, service or machine client), or the
	// name of a capability of the graph. Required.
	Require string `yaml:"require"`
	// StripPrefix removes PathPrefix from the path sent upstream.
	// Default false.
	StripPrefix bool `yaml:"strip_prefix"`
	// PassHost sends the client's Host header upstream instead of the
	// URL's host (the original host is in X-Forwarded-Host either way).
	// Default false.
	PassHost bool `yaml:"pass_host"`
	// LoginRedirect sends a browser GET without identity to the login
	// route (302) instead of answering 401. Default (nil) true; set false
	// for an API.
	LoginRedirect *bool `yaml:"login_redirect"`
	// FlushInterval is how often a streamed answer is flushed to the
	// client; negative flushes after every write. Event streams
	// (text/event-stream) and answers without a length are always flushed
	// at once. Default 0.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// CAFile is a PEM bundle of the certificate authorities trusted for
	// an https URL, instead of the system's roots (for an upstream
	// signed by a private CA); a relative path is resolved against the
	// configuration's folder. Default: the system's roots.
	CAFile string `yaml:"ca_file" conf:"path"`
	// InsecureSkipTLSVerify accepts any certificate from an https URL,
	// so anyone on the path to the upstream can read and change the
	// traffic, identity headers included. For tests only: it MUST NOT be
	// used in production; the gateway logs a warning when it starts.
	// Prefer CAFile. Default false.
	InsecureSkipTLSVerify bool `yaml:"insecure_skip_tls_verify"`
	// AllowEncodedSlashes lets paths with an encoded slash or backslash
	// (%2F, %5C) or a raw backslash through to this upstream, as the
	// client sent them; other upstreams answer them 400. The rule then
	// applied is the strictest of the upstreams that the path reaches
	// when these are read as separators and when they are not. Default
	// false.
	AllowEncodedSlashes bool `yaml:"allow_encoded_slashes"`
	// AllowPathParams lets paths with ";" parameters in a segment
	// (/app;jsessionid=x/page, or %3B) through to this upstream; other
	// upstreams answer them 400. The rule then applied is the strictest
	// of the upstreams that the path reaches with the parameters and
	// without them (as Tomcat and Jetty read it). Default false.
	AllowPathParams bool `yaml:"allow_path_params"`

	target *url.URL
	roots  *x509.CertPool
}

// tlsClientConfig returns the TLS settings of u's transport, nil for the
// defaults.
func (u *Upstream) tlsClientConfig() *tls.Config {
	switch {
	case u.InsecureSkipTLSVerify:
		return &tls.Config{InsecureSkipVerify: true}
	case u.roots != nil:
		return &tls.Config{RootCAs: u.roots}
	}
	return nil
}

// Redirects reports whether a browser without identity is sent to login.
func (u *Upstream) Redirects() bool { return u.LoginRedirect == nil || *u.LoginRedirect }

// The special values of [Upstream.Require].
const (
	RequirePublic = "public"
	RequireLogin  = "login"
)

// UpstreamJWT is the `upstream_jwt:` section.
type UpstreamJWT struct {
	// Issuer is the iss claim. Default: auth base_url + prefix, else
	// "oauthgate".
	Issuer string `yaml:"issuer"`
	// Audience is the aud claim. Default "upstream".
	Audience string `yaml:"audience"`
	// TTL is the token's life. Default 60s, at most 1h.
	TTL time.Duration `yaml:"ttl"`
	// KeyFile is a PEM private key (PKCS#8, EC or RSA) to sign with; a
	// relative path is resolved against the configuration's folder.
	// Default: a P-256 key made at start, so the upstream must fetch the
	// keys from {prefix}/.well-known/upstream-jwks.json after a restart.
	KeyFile string `yaml:"key_file" conf:"path"`
}

// Timeouts is the `timeouts:` section. A zero value takes the default.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers. Default 10s.
	ReadHeader time.Duration `yaml:"read_header"`
	// Read bounds reading a whole request, body included. Default 60s;
	// negative: none.
	Read time.Duration `yaml:"read"`
	// Write bounds writing an answer. Default: none (negative), since
	// streams and WebSockets last; set it for plain apps.
	Write time.Duration `yaml:"write"`
	// Idle is how long a keep-alive connection waits for the next
	// request. Default 120s.
	Idle time.Duration `yaml:"idle"`
	// Dial bounds connecting to an upstream. Default 5s.
	Dial time.Duration `yaml:"dial"`
	// TLSHandshake bounds an upstream's TLS handshake. Default 5s.
	TLSHandshake time.Duration `yaml:"tls_handshake"`
	// ResponseHeader bounds the wait for an upstream's answer headers
	// once the request is sent. Default 60s.
	ResponseHeader time.Duration `yaml:"response_header"`
	// UpstreamIdle is how long an idle upstream connection is kept.
	// Default 90s.
	UpstreamIdle time.Duration `yaml:"upstream_idle"`
	// Shutdown bounds the drain of in-flight requests at shutdown, then
	// of upgraded connections ([Gateway.Drain]).
	// Default 30s.
	Shutdown time.Duration `yaml:"shutdown"`
}

// Values of [Config.UpstreamTransport].
const (
	TransportDirect   = "direct"
	TransportStandard = "standard"
)

// Defaults of [Config].
const (
	DefaultListen         = "127.0.0.1:4180"
	DefaultHealthPath     = "/healthz"
	DefaultReadyPath      = "/readyz"
	DefaultJWTAudience    = "upstream"
	DefaultJWTTTL         = time.Minute
	maxJWTTTL             = time.Hour
	DefaultJWTIssuer      = "oauthgate"
	defaultReadHeader     = 10 * time.Second
	defaultRead           = 60 * time.Second
	defaultIdle           = 120 * time.Second
	defaultDial           = 5 * time.Second
	defaultTLSHandshake   = 5 * time.Second
	defaultResponseHeader = 60 * time.Second
	defaultUpstreamIdle   = 90 * time.Second
	defaultShutdown       = 30 * time.Second
)

// The identity headers (canonical form).
const (
	HeaderEmail        = "X-Auth-Request-Email"
	HeaderUser         = "X-Auth-Request-User"
	HeaderCapabilities = "X-Auth-Request-Capabilities"
	HeaderKind         = "X-Auth-Request-Kind"
	HeaderJWT          = "Authorization"
)

var defaultPassHeaders = []string{HeaderEmail, HeaderUser, HeaderCapabilities, HeaderKind}

// LoadConfig reads and checks the gateway configuration file at path.
// Relative paths in it (capabilities.user_file, upstream_jwt.key_file...)
// are resolved against path's folder.
func LoadConfig(path string) (*Config, error) {
	data, dir, err := confdecode.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(data, dir)
}

// ParseConfig parses and checks a gateway configuration. dir, if not
// empty, is the folder against which relative paths are resolved. The
// auth keys and the gateway's are read together by the rules of
// [auth.ParseConfig]: an unknown key is an error naming the closest known
// one, and every problem of the file is reported (errors.As finds an
// *auth.ConfigError; several are joined).
func ParseConfig(data []byte, dir string) (*Config, error) {
	doc, err := confdecode.Parse(data)
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	_, err = confdecode.DecodeAll(doc, confdecode.Options{LookupEnv: os.LookupEnv, Dir: dir},
		confdecode.Target{Value: cfg}, confdecode.Target{Value: &cfg.ClientCredentials})
	if err := confdecode.Join(err, cfg.Validate()); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Validate fills in the defaults and checks the gateway's keys, and the
// auth configuration with [auth.Config.Validate]. Errors name the key
// (errors.As finds an *auth.ConfigError).
func (c *Config) Validate() error {
	var errs []error
	if err := c.Auth.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.ClientCredentials.CheckConfig(&c.Auth); err != nil {
		errs = append(errs, err)
	}
	if err := c.AWSAuthorizer.CheckConfig(&c.Auth); err != nil {
		errs = append(errs, err)
	}
	bad := func(key, reason string) { errs = append(errs, &auth.ConfigError{Key: key, Reason: reason}) }
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.HealthPath == "" {
		c.HealthPath = DefaultHealthPath
	}
	if c.ReadyPath == "" {
		c.ReadyPath = DefaultReadyPath
	}
	switch c.UpstreamTransport {
	case "":
		c.UpstreamTransport = TransportDirect
	case TransportDirect, TransportStandard:
	default:
		bad("upstream_transport", `must be "direct" or "standard"`)
	}
	for key, p := range map[string]string{"health_path": c.HealthPath, "ready_path": c.ReadyPath} {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " {}?#") {
			bad(key, "must be a path starting with /")
		}
	}
	policy, perr := c.Auth.Capabilities.Policy()
	seen := map[string]bool{}
	for i := range c.Upstreams {
		u := &c.Upstreams[i]
		key := fmt.Sprintf("upstreams[%d]", i)
		p := u.PathPrefix
		if p != "/" {
			p = strings.TrimSuffix(p, "/")
		}
		switch {
		case !cleanPrefix(p):
			bad(key+".path_prefix", "must be a clean path starting with /, such as / or /app: segments of letters, digits and -._~$&+,:=@, none of them only dots")
		case seen[strings.ToLower(p)]:
			bad(key+".path_prefix", fmt.Sprintf("%q is already the prefix of another upstream (prefixes match ignoring case)", p))
		case c.Auth.Prefix != "" && (p == c.Auth.Prefix || strings.HasPrefix(p, c.Auth.Prefix+"/")):
			bad(key+".path_prefix", fmt.Sprintf("%q is inside prefix %q, whose paths the gateway answers itself", p, c.Auth.Prefix))
		}
		u.PathPrefix, seen[strings.ToLower(p)] = p, true
		t, err := url.Parse(u.URL)
		switch {
		case u.URL == "":
			bad(key+".url", "missing: the upstream's http or https URL")
		case err != nil || (t.Scheme != "http" && t.Scheme != "https") || t.Host == "" || t.RawQuery != "" || t.Fragment != "" || t.User != nil:
			bad(key+".url", "must be an http or https URL without query, fragment or user info")
		default:
			u.target = t
		}
		u.roots = nil // not a pool of an earlier Validate
		switch {
		case u.CAFile == "" && !u.InsecureSkipTLSVerify:
		case u.target != nil && u.target.Scheme != "https":
			k := key + ".ca_file"
			if u.InsecureSkipTLSVerify {
				k = key + ".insecure_skip_tls_verify"
			}
			bad(k, "applies only to an https url")
		case u.CAFile != "" && u.InsecureSkipTLSVerify:
			bad(key+".insecure_skip_tls_verify", "cannot be combined with ca_file, which already says whom to trust")
		case u.CAFile != "":
			roots, err := loadCAFile(u.CAFile)
			if err != nil {
				bad(key+".ca_file", err.Error())
			}
			u.roots = roots
		}
		switch u.Require {
		case "":
			bad(key+".require", `missing: "public", "login" or a capability name`)
		case RequirePublic, RequireLogin:
		default:
			if perr != nil {
				break // named by the auth configuration's error
			}
			if _, ok := policy.Graph().Lookup(u.Require); !ok {
				bad(key+".require", fmt.Sprintf("unknown capability %q", u.Require))
			}
		}
	}
	if len(c.PassHeaders) == 0 {
		c.PassHeaders = slices.Clone(defaultPassHeaders)
	}
	for i, h := range c.PassHeaders {
		canon := http.CanonicalHeaderKey(strings.TrimSpace(h))
		switch canon {
		case HeaderEmail, HeaderUser, HeaderCapabilities, HeaderKind, HeaderJWT:
			c.PassHeaders[i] = canon
		default:
			bad(fmt.Sprintf("pass_headers[%d]", i), fmt.Sprintf("unknown identity header %q (known: %s)", h, strings.Join(append(defaultPassHeaders[:len(defaultPassHeaders):len(defaultPassHeaders)], HeaderJWT), ", ")))
		}
	}
	c.TLS.cert = nil
	if c.TLS.Enabled() {
		cert, key, err := loadServerCert(c.TLS.CertFile, c.TLS.KeyFile)
		if err != nil {
			bad(key, err.Error())
		}
		c.TLS.cert = cert
	}
	j := &c.UpstreamJWT
	if j.Audience == "" {
		j.Audience = DefaultJWTAudience
	}
	if j.Issuer == "" {
		j.Issuer = DefaultJWTIssuer
		if c.Auth.BaseURL != "" {
			j.Issuer = c.Auth.BaseURL + c.Auth.Prefix
		}
	}
	switch {
	case j.TTL == 0:
		j.TTL = DefaultJWTTTL
	case j.TTL < time.Second || j.TTL > maxJWTTTL:
		bad("upstream_jwt.ttl", "must be between 1s and 1h")
	}
	t := &c.Timeouts
	for _, d := range []struct {
		key string
		v   *time.Duration
		def time.Duration
	}{
		{"read_header", &t.ReadHeader, defaultReadHeader},
		{"read", &t.Read, defaultRead},
		{"write", &t.Write, -1},
		{"idle", &t.Idle, defaultIdle},
		{"dial", &t.Dial, defaultDial},
		{"tls_handshake", &t.TLSHandshake, defaultTLSHandshake},
		{"response_header", &t.ResponseHeader, defaultResponseHeader},
		{"upstream_idle", &t.UpstreamIdle, defaultUpstreamIdle},
		{"shutdown", &t.Shutdown, defaultShutdown},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < 0 && d.key != "read" && d.key != "write" {
			bad("timeouts."+d.key, "must be positive")
		}
	}
	return errors.Join(errs...)
}

// cleanPrefix reports whether p is "/" or a path of non-empty segments
// made of the characters that a path never needs to encode (so that
// every server reads them alike), none of them only dots.
func cleanPrefix(p string) bool {
	if p == "/" {
		return true
	}
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || strings.Trim(seg, ".") == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~$&+,:=@", c) >= 0) {
				return false
			}
		}
	}
	return true
}

// passes reports whether pass_headers lists the header h (canonical).
func (c *Config) passes(h string) bool {
	return slices.Contains(c.PassHeaders, h)
}

// logger returns the auth configuration's logger, or slog's default.
func (c *Config) logger() *slog.Logger {
	if c.Auth.Logger != nil {
		return c.Auth.Logger
	}
	return slog.Default()
}

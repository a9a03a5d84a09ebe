package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/internal/clientaddr"
	"github.com/oauthgate/oauthgate/internal/respond"
)

// Gateway is a login gateway in front of apps: it checks each request with
// the auth middleware of its upstream's rule, then proxies it with the
// identity headers. It is an http.Handler, safe for concurrent use, whose
// configuration can be replaced while it serves ([Gateway.Reload]).
type Gateway struct {
	cur   atomic.Pointer[state]
	ready atomic.Bool
	// cert is the listener's certificate (tls:), replaced by a reload
	// that loads a new one; nil without TLS.
	cert atomic.Pointer[tls.Certificate]
	log  *slog.Logger
	// upgrades are the connections switched to another protocol
	// (WebSocket), across reloads.
	upgrades upgrades

	mu     sync.Mutex // serialises Reload and Close
	obs    Observer
	signer *jwtSigner
	closed bool
	stop   context.CancelFunc // ends the background discovery
	bg     context.Context
}

// state is one configuration's running parts. A reload builds a new one;
// the old one is closed when its last request ends.
type state struct {
	cfg       *Config
	m         *auth.Manager
	grant     *clientcreds.Issuer // nil without the client-credentials grant
	mux       *http.ServeMux
	mounts    []*mount // the upstreams, longest prefix first
	guards    sync.Map // "prefix\x00rule\x00rule..." → http.Handler of rules combined
	transport http.RoundTripper
	owned     upstreamTransport // closed with the state; nil when given
	// tlsTransports carry the upstreams with their own TLS settings;
	// closed with the state.
	tlsTransports map[tlsKey]upstreamTransport
	cookies       cookieFilter
	proxies       clientaddr.Proxies
	signer        *jwtSigner
	obs           Observer
	checks        sync.Map // "cap\x00redirect" → http.Handler
	ids           sync.Map // *auth.Identity → *idHeaders
	idCount       atomic.Int64

	refs    atomic.Int64
	retired atomic.Bool
}

// New checks cfg, builds the Manager and the routes, and starts trying
// the identity provider's discovery in the background (see
// [Gateway.Ready]). cfg is copied. Call [Gateway.Close] when done.
func New(ctx context.Context, cfg *Config) (*Gateway, error) {
	if cfg == nil {
		return nil, errors.New("gateway: New: nil config")
	}
	g := &Gateway{obs: cfg.Observer, log: cfg.logger()}
	if g.obs == nil {
		g.obs = NopObserver{}
	}
	st, err := g.build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	g.cur.Store(st)
	g.useConfig(st.cfg)
	g.bg, g.stop = context.WithCancel(context.Background())
	switch {
	case st.cfg.Auth.ServerMetadataURL == "":
		// No provider (no browser login, or force_user): nothing to wait for.
		g.ready.Store(true)
	case cachedDiscoveryOK(st.cfg):
		g.ready.Store(true)
		g.log.Info("gateway: ready from the cached discovery document", "file", st.cfg.DiscoveryCache)
	}
	go g.discover(st)
	return g, nil
}

// build makes the running state of cfg.
func (g *Gateway) build(ctx context.Context, in *Config) (*state, error) {
	c := *in
	c.Upstreams = append([]Upstream(nil), in.Upstreams...)
	c.PassHeaders = append([]string(nil), in.PassHeaders...)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Observer == nil {
		c.Observer = g.obs
	}
	c.Auth.HTTPClient = observedClient(c.Auth.HTTPClient, c.Observer)
	signer := g.signer
	if c.passes(HeaderJWT) && (signer == nil || signer.keyFile != c.UpstreamJWT.KeyFile) {
		var err error
		if signer, err = newJWTSigner(c.UpstreamJWT.KeyFile); err != nil {
			return nil, err
		}
	}
	var grant *clientcreds.Issuer
	if c.ClientCredentials.Enabled() {
		var err error
		grant, err = clientcreds.New(ctx, &c.ClientCredentials, clientcreds.Options{Logger: c.Auth.Logger, Now: c.Auth.Now})
		if err != nil {
			return nil, err
		}
		c.Auth.MachineIssuers = append(slices.Clip(c.Auth.MachineIssuers), grant)
	}
	m, err := auth.New(ctx, &c.Auth)
	if err != nil {
		if grant != nil {
			grant.Close()
		}
		return nil, err
	}
	st := &state{
		cfg: &c, m: m, grant: grant, obs: c.Observer, signer: signer,
		cookies: newCookieFilter(m.Config().Cookie.Name),
		proxies: clientaddr.ParseProxies(m.Config().TrustedProxies),
	}
	st.transport = c.Transport
	if st.transport == nil {
		st.owned = newTransport(&c.Timeouts, c.UpstreamTransport, nil, m.Config().Logger)
		st.transport = st.owned
	}
	st.mux = http.NewServeMux()
	handlers.Mount(routerFunc(func(pattern string, h http.Handler) {
		st.mux.Handle(pattern, route(RouteAuth, h))
	}), m)
	p := m.Config().Prefix
	st.mux.Handle("GET "+p+"/check", route(RouteCheck, http.HandlerFunc(st.check)))
	st.mux.Handle("GET "+p+UpstreamJWKSPath, route(RouteJWKS, http.HandlerFunc(st.serveJWKS)))
	if p != "" {
		// The prefix is the gateway's: a path under it that no route
		// answers is not passed on to the catch-all upstream.
		unknown := route(RouteAuth, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			respond.Fail(w, r, nil, respond.NewError(http.StatusNotFound, "not found", nil), respond.AsJSON)
		}))
		st.mux.Handle(p, unknown)
		st.mux.Handle(p+"/", unknown)
	}
	st.mux.Handle("GET "+c.HealthPath, route(RouteHealth, http.HandlerFunc(serveHealth)))
	st.mux.Handle("GET "+c.ReadyPath, route(RouteHealth, http.HandlerFunc(g.serveReady)))
	for i := range c.Upstreams {
		st.mountUpstream(&c.Upstreams[i])
	}
	sortMounts(st.mounts)
	return st, nil
}

// Reload replaces the configuration: requests that arrive afterwards use
// the new one, those in flight finish with the old one, whose Manager is
// closed when they are done. On error (a bad configuration, a store that
// does not open) the running configuration stays and the error says why.
// Listen, MetricsListen and the server timeouts are the caller's to apply
// ([Gateway.Server] makes a new server); Observer and Transport, when nil
// in cfg, are kept. The tls: files and the upstreams' ca_file are read
// again: the servers of [Gateway.Server] hand the new certificate to new
// connections (open ones keep theirs); a cfg without tls: keeps the
// running certificate.
func (g *Gateway) Reload(ctx context.Context, cfg *Config) error {
	if cfg == nil {
		return errors.New("gateway: Reload: nil config")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errors.New("gateway: Reload after Close")
	}
	old := g.cur.Load()
	c := *cfg
	if c.Observer == nil {
		c.Observer = old.cfg.Observer
	}
	if c.Transport == nil {
		c.Transport = old.cfg.Transport
	}
	if c.Auth.Logger == nil {
		c.Auth.Logger = old.cfg.Auth.Logger
	}
	st, err := g.build(ctx, &c)
	if err != nil {
		return err
	}
	if st.signer != nil {
		g.signer = st.signer
	}
	g.cur.Store(st)
	g.useConfig(st.cfg)
	go g.discover(st)
	g.retire(old)
	return nil
}

// useConfig takes the listener certificate of a newly running cfg, and
// logs its warnings and overlapping upstreams.
func (g *Gateway) useConfig(c *Config) {
	if c.TLS.cert != nil {
		g.cert.Store(c.TLS.cert)
	}
	for _, w := range c.Warnings() {
		g.log.Warn("gateway: " + w)
	}
	for _, o := range c.Overlaps() {
		g.log.Warn("gateway: " + o.String())
	}
}

// retire closes st once no request uses it any more.
func (g *Gateway) retire(st *state) {
	st.retired.Store(true)
	go func() {
		for st.refs.Load() > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		st.close()
	}()
}

func (st *state) close() {
	if err := st.m.Close(); err != nil {
		st.m.Config().Logger.Error("gateway: closing the auth manager", "err", err)
	}
	if st.grant != nil {
		if err := st.grant.Close(); err != nil {
			st.m.Config().Logger.Error("gateway: closing the client-credentials grant", "err", err)
		}
	}
	if st.owned != nil {
		st.owned.close()
	}
	for _, t := range st.tlsTransports {
		t.close()
	}
}

// Close stops the background discovery and closes the Manager. Requests
// still in flight finish first (in the background); serve no more
// requests after Close.
func (g *Gateway) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	g.stop()
	g.retire(g.cur.Load())
	return nil
}

// Manager returns the auth Manager of the running configuration. It is
// replaced by a reload.
func (g *Gateway) Manager() *auth.Manager { return g.cur.Load().m }

// Config returns the running configuration, defaults filled in. It must
// not be modified.
func (g *Gateway) Config() *Config { return g.cur.Load().cfg }

// Ready reports whether the identity provider's discovery has succeeded
// at least once, or discovery_cache held its document at start (true at
// once without a provider).
func (g *Gateway) Ready() bool { return g.ready.Load() }

// discover tries the discovery of st's provider until it succeeds, st is
// replaced, or the gateway is closed.
func (g *Gateway) discover(st *state) {
	for {
		ctx, cancel := context.WithTimeout(g.bg, 15*time.Second)
		err := st.m.Login().Discover(ctx)
		cancel()
		if err == nil {
			g.ready.Store(true)
			g.cacheDiscovery(st)
			return
		}
		select {
		case <-g.bg.Done():
			return
		case <-time.After(2 * time.Second):
		}
		if st.retired.Load() {
			return
		}
	}
}

// ServeHTTP serves a request with the running configuration.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := g.acquire()
	defer st.refs.Add(-1)
	start := time.Now()
	rec := &recorder{ResponseWriter: w, upgrades: &g.upgrades}
	defer rec.doneUpgrade() // even when the proxy panics (http.ErrAbortHandler)
	rs := &reqState{info: RequestInfo{Route: RouteNone}}
	path := r.URL.Path
	if strings.EqualFold(r.Method, http.MethodConnect) || strings.EqualFold(r.Method, http.MethodTrace) {
		// Nothing is tunnelled, and a TRACE answer would echo the
		// client's cookies back to a script.
		rec.Header().Set("Allow", allowedMethods)
		refuse(rec, r, http.StatusMethodNotAllowed, "method not allowed")
	} else if p, reason := canonicalPath(r.URL); reason != "" {
		refuse(rec, r, http.StatusBadRequest, reason)
	} else {
		path = p.path
		st.serve(rec, r, &p, rs)
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	info := &rs.info
	info.Method, info.Path = r.Method, path
	_, info.Client, _ = st.proxies.Forwarded(r)
	info.Status, info.Bytes, info.Duration = rec.status, rec.bytes, time.Since(start)
	if info.Route == RouteUpstream || info.Route == RouteCheck {
		info.Decision = rec.decide(w.Header())
		info.Identity = rec.identity
		info.Bearer = hasBearer(r.Header)
	}
	st.obs.Request(*info)
}

// allowedMethods is the Allow header of a refused CONNECT or TRACE.
const allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

// serve routes a request whose path p is canonical: to one of the
// gateway's own routes, or to an upstream under the rule that
// [state.decide] says.
func (st *state) serve(w http.ResponseWriter, r *http.Request, p *reqPath, rs *reqState) {
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, rs))
	if p.path != r.URL.Path {
		u := *r.URL
		u.Path, u.RawPath = p.path, p.raw
		r.URL = &u
	}
	h, pattern := st.mux.Handler(r)
	if _, up := h.(upstreamRoutes); !up && pattern != "" {
		if reason := optInReason(p); reason != "" {
			refuse(w, r, http.StatusBadRequest, reason)
			return
		}
		st.mux.ServeHTTP(w, r)
		return
	}
	d, reason := st.decide(p)
	switch {
	case reason != "":
		refuse(w, r, refusalStatus(reason), reason)
	case d.m == nil:
		h.ServeHTTP(w, r) // no route: the ServeMux's 404 or 405
	default:
		rs.info.Route, rs.info.Upstream, rs.strip = RouteUpstream, d.m.u.PathPrefix, d.strip
		st.guard(&d).ServeHTTP(w, r)
	}
}

// refuse answers a request the gateway will not route: a page for a
// browser navigation, JSON for anything else. The observer records it;
// nothing is logged.
func refuse(w http.ResponseWriter, r *http.Request, status int, reason string) {
	respond.Fail(w, r, nil, respond.NewError(status, reason, nil), respond.AsNegotiated)
}

// acquire returns the running state, counted as in use.
func (g *Gateway) acquire() *state {
	for {
		st := g.cur.Load()
		st.refs.Add(1)
		if !st.retired.Load() || g.closedState(st) {
			return st
		}
		st.refs.Add(-1)
	}
}

// closedState reports whether st is the last state of a closed gateway,
// which still serves (Close does not stop the servers).
func (g *Gateway) closedState(st *state) bool { return g.cur.Load() == st }

type infoKey struct{}

// reqState is what the gateway learns of a request while serving it, in
// its context under infoKey.
type reqState struct {
	info RequestInfo
	// strip is how many bytes of the canonical path the upstream's
	// prefix spans (for strip_prefix).
	strip int
}

// route marks the request's route class.
func route(class string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rs, ok := r.Context().Value(infoKey{}).(*reqState); ok {
			rs.info.Route = class
		}
		h.ServeHTTP(w, r)
	})
}

func hasBearer(h http.Header) bool {
	v := h.Get("Authorization")
	return len(v) >= 6 && strings.EqualFold(v[:6], "bearer")
}

// Server returns an http.Server for the gateway on cfg.Listen with the
// configured timeouts. With tls: set, its TLSConfig serves the
// certificate of the running configuration (a reload that loads a new
// pair replaces it for the next handshakes; open connections stay): call
// ServeTLS(ln, "", "") or ListenAndServeTLS("", "").
func (g *Gateway) Server() *http.Server {
	c := g.Config()
	t := c.Timeouts
	s := &http.Server{
		Addr:              c.Listen,
		Handler:           g,
		ReadHeaderTimeout: t.ReadHeader,
		IdleTimeout:       t.Idle,
		ErrorLog:          slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
	if t.Read > 0 {
		s.ReadTimeout = t.Read
	}
	if t.Write > 0 {
		s.WriteTimeout = t.Write
	}
	if c.TLS.Enabled() {
		s.TLSConfig = serverTLSConfig(g.cert.Load)
	}
	return s
}

func serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

func (g *Gateway) serveReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !g.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("waiting for the identity provider's discovery\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (st *state) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if st.signer == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(st.signer.jwks)
}

package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/respond"
)

// viaToken is what the gateway adds to the Via header (RFC 9110 §7.6.3).
const viaToken = "1.1 oauthgate"

// maxCachedIdentities bounds the identity-header cache; it is emptied when
// full.
const maxCachedIdentities = 10000

// upstreamTransport is a transport the gateway made and closes.
type upstreamTransport interface {
	http.RoundTripper
	close()
}

// newTransport returns the transport to the upstreams: pooled keep-alive
// connections with a timeout on each step; with kind "direct", the
// plainest requests take [h1Transport] (where it can look at idle
// connections, see canProbeIdle). tc, if not nil, is the TLS client
// configuration for https upstreams. log hears of misbehaving upstreams.
func newTransport(t *Timeouts, kind string, tc *tls.Config, log *slog.Logger) upstreamTransport {
	d := &net.Dialer{Timeout: t.Dial, KeepAlive: 30 * time.Second}
	strays := newStrayUpstreams(log)
	std := newStdTransport(t, d, strays)
	std.TLSClientConfig = tc
	if kind == TransportStandard || !canProbeIdle {
		return stdTransport{std, strays}
	}
	return newH1Transport(std, d.DialContext, t, strays)
}

// stdTransport is net/http's Transport alone, guarded (guardedRoundTrip).
type stdTransport struct {
	*http.Transport
	strays *strayUpstreams
}

// RoundTrip implements http.RoundTripper.
func (s stdTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return guardedRoundTrip(s.Transport, s.strays, req)
}

func (s stdTransport) close() { s.CloseIdleConnections() }

// newStdTransport returns net/http's Transport, set up for upstreams; its
// connections are watched (watchDial) for guardedRoundTrip.
func newStdTransport(t *Timeouts, d *net.Dialer, strays *strayUpstreams) *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // an upstream is reached directly, whatever HTTP_PROXY says
		DialContext:           watchDial(d.DialContext, strays),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       t.UpstreamIdle,
		TLSHandshakeTimeout:   t.TLSHandshake,
		ResponseHeaderTimeout: t.ResponseHeader,
		ExpectContinueTimeout: time.Second,
		// The client's Accept-Encoding goes upstream as it is; otherwise
		// the transport would ask for gzip itself and decompress.
		DisableCompression: true,
	}
}

// copyBuffers are the buffers that copy answers from the upstreams: a
// ReverseProxy otherwise allocates 32 KiB per request.
var copyBuffers httputil.BufferPool = &bufferPool{}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

// routerFunc adapts a function to handlers.Router.
type routerFunc func(pattern string, h http.Handler)

func (f routerFunc) Handle(pattern string, h http.Handler) { f(pattern, h) }

// transportFor returns the transport of u: the shared one, or, when u
// has its own TLS settings and no Transport was given, one made for
// them (shared by the upstreams with the same settings).
func (st *state) transportFor(u *Upstream) http.RoundTripper {
	tc := u.tlsClientConfig()
	if st.cfg.Transport != nil || tc == nil {
		return st.transport
	}
	key := tlsKey{caFile: u.CAFile, insecure: u.InsecureSkipTLSVerify}
	if rt, ok := st.tlsTransports[key]; ok {
		return rt
	}
	if st.tlsTransports == nil {
		st.tlsTransports = map[tlsKey]upstreamTransport{}
	}
	rt := newTransport(&st.cfg.Timeouts, st.cfg.UpstreamTransport, tc, st.m.Config().Logger)
	st.tlsTransports[key] = rt
	return rt
}

// tlsKey identifies the upstream TLS settings that share a transport.
type tlsKey struct {
	caFile   string
	insecure bool
}

// mountUpstream registers u's prefix and its running parts.
func (st *state) mountUpstream(u *Upstream) {
	rp := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { st.rewrite(u, pr) },
		Transport:     st.transportFor(u),
		BufferPool:    copyBuffers,
		FlushInterval: u.FlushInterval,
		ErrorLog:      nil,
		ErrorHandler:  st.proxyError,
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Add("Via", viaToken)
			for _, name := range st.cookies.dropSetCookies(resp.Header) {
				st.m.Config().Logger.Warn("gateway: dropped an upstream's Set-Cookie for a cookie of the gateway", "upstream", u.PathPrefix, "cookie", name)
			}
			return nil
		},
	}
	var opts []auth.RequireOption
	if u.Redirects() {
		opts = append(opts, auth.RedirectToLogin)
	}
	proxy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := auth.IdentityFrom(r.Context())
		allow(w, id.String())
		rp.ServeHTTP(w, r)
	})
	st.mounts = append(st.mounts, &mount{u: u, opts: opts, proxy: proxy, guard: st.rule(u.Require, opts)(proxy)})
	if u.PathPrefix == "/" {
		st.mux.Handle("/", upstreamRoutes{})
		return
	}
	st.mux.Handle(u.PathPrefix, upstreamRoutes{})
	st.mux.Handle(u.PathPrefix+"/", upstreamRoutes{})
}

// rewrite builds the upstream request: target URL, path, forwarded
// headers, Via, and the identity headers in place of the client's copies
// and of the gateway's credentials. The path is the canonical one that
// routed the request, less the prefix with strip_prefix.
func (st *state) rewrite(u *Upstream, pr *httputil.ProxyRequest) {
	out, in := pr.Out, pr.In
	prefix := ""
	if u.StripPrefix && u.PathPrefix != "/" {
		prefix = u.PathPrefix
		strip := 0
		if rs, ok := in.Context().Value(infoKey{}).(*reqState); ok {
			strip = rs.strip
		}
		out.URL.Path = "/" + strings.TrimPrefix(in.URL.Path[strip:], "/")
		if in.URL.RawPath != "" {
			raw := in.URL.EscapedPath()
			out.URL.RawPath = "/" + strings.TrimPrefix(raw[rawOffset(raw, strip):], "/")
		}
	}
	pr.SetURL(u.target)
	if u.PassHost {
		out.Host = in.Host
	}
	forward(st.proxies, out.Header, in, prefix)
	out.Header.Add("Via", viaToken)
	stripBearer(out.Header)
	st.cookies.filter(out.Header)
	st.setIdentity(out.Header, auth.IdentityFrom(in.Context()), true)
}

// rawOffset returns the offset in the escaped path raw of the byte n of
// its decoded form.
func rawOffset(raw string, n int) int {
	i := 0
	for ; n > 0; n-- {
		if raw[i] == '%' {
			i += 3
		} else {
			i++
		}
	}
	return i
}

// setIdentity sets the identity headers of pass_headers for id; nothing
// for a guest. toUpstream replaces the Authorization header with the JWT;
// otherwise (a /check answer) it is added.
func (st *state) setIdentity(h http.Header, id *auth.Identity, toUpstream bool) {
	if id.IsGuest() {
		return
	}
	e := st.identity(id)
	for _, name := range st.cfg.PassHeaders {
		switch name {
		case HeaderEmail:
			if id.Email != "" {
				h[HeaderEmail] = []string{id.Email}
			}
		case HeaderUser:
			h[HeaderUser] = []string{e.user}
		case HeaderCapabilities:
			h[HeaderCapabilities] = []string{e.caps}
		case HeaderKind:
			h[HeaderKind] = []string{id.Kind.String()}
		case HeaderJWT:
			tok, err := e.token(st.signer, &st.cfg.UpstreamJWT, id, st.m.Config().Now())
			if err != nil {
				st.m.Config().Logger.Error("gateway: signing the upstream JWT failed", "err", err)
				continue
			}
			h["Authorization"] = []string{"Bearer " + tok}
		}
	}
}

// identity returns the cached identity headers of id.
func (st *state) identity(id *auth.Identity) *idHeaders {
	if v, ok := st.ids.Load(id); ok {
		return v.(*idHeaders)
	}
	user := id.Email
	if id.Kind == auth.KindClient {
		user = id.Subject
	}
	e := &idHeaders{user: user, caps: strings.Join(id.Capabilities(), ",")}
	if st.idCount.Add(1) > maxCachedIdentities {
		st.ids.Clear()
		st.idCount.Store(1)
	}
	v, _ := st.ids.LoadOrStore(id, e)
	return v.(*idHeaders)
}

// proxyError answers when the upstream cannot be reached or fails
// mid-answer: 502, or 504 on a timeout, a page for a browser navigation
// and JSON otherwise. The cause goes to the log only.
func (st *state) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away: nobody to answer.
		w.WriteHeader(499)
		return
	}
	code, msg := http.StatusBadGateway, "upstream unavailable"
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		code, msg = http.StatusGatewayTimeout, "upstream timed out"
	}
	st.m.Config().Logger.Warn("gateway: upstream request failed", "path", r.URL.Path, "err", err)
	respond.Fail(w, r, nil, respond.NewError(code, msg, err), respond.AsNegotiated)
}

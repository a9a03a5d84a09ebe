package mockidp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Server is a [Provider] listening on a TCP address, shaped like
// httptest.Server.
type Server struct {
	// URL is the issuer URL, without a trailing slash.
	URL string
	// Provider is the running provider, for SetEmail, FailNext and the like.
	Provider *Provider

	listener net.Listener
	srv      *http.Server
	done     chan struct{}

	clientOnce sync.Once
	client     *http.Client
}

// NewServer starts a provider on a free loopback port (127.0.0.1:0).
// Unless opts.Issuer is set, the issuer is the server's URL.
func NewServer(opts Options) (*Server, error) { return Listen("127.0.0.1:0", opts) }

// Listen starts a provider on addr (host:port).
func Listen(addr string, opts Options) (*Server, error) {
	p, err := New(opts)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mockidp: listen: %w", err)
	}
	s := &Server{
		URL:      "http://" + l.Addr().String(),
		Provider: p,
		listener: l,
		done:     make(chan struct{}),
		srv: &http.Server{
			Handler:           p,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
		},
	}
	if opts.Issuer != "" {
		s.URL = p.Issuer()
	} else if err := p.SetIssuer(s.URL); err != nil {
		l.Close()
		return nil, err
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(l)
	}()
	return s, nil
}

// Start starts a provider on a free loopback port and returns its issuer
// URL and a function that stops it.
func Start(opts Options) (issuerURL string, stop func(), err error) {
	s, err := NewServer(opts)
	if err != nil {
		return "", nil, err
	}
	return s.URL, s.Close, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// Close stops the server at once, closing open connections.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
	s.clientOnce.Do(func() {})
	if s.client != nil {
		s.client.CloseIdleConnections()
	}
}

// Shutdown stops the server gracefully: it stops accepting and waits for
// requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	<-s.done
	return err
}

// Client returns an HTTP client for the server that does not follow
// redirects, so an authorize answer can be inspected (see
// [Server.Authorize]). Its idle connections close with the server.
func (s *Server) Client() *http.Client {
	s.clientOnce.Do(func() {
		s.client = &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
	return s.client
}

// Authorize sends a browser-less authorize request and returns the
// redirect target: the client's redirect URI with code and state, or with
// error. It fails when the provider answers without a redirect (an unknown
// client or redirect URI, or the interactive login page).
func (s *Server) Authorize(ctx context.Context, authURL string) (*url.URL, error) {
	return FollowAuthorize(ctx, s.Client(), authURL)
}

// FollowAuthorize is [Server.Authorize] with any client that does not
// follow redirects.
func FollowAuthorize(ctx context.Context, c *http.Client, authURL string) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, fmt.Errorf("mockidp: authorize: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mockidp: authorize: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("mockidp: authorize: want a redirect, got %s", resp.Status)
	}
	loc, err := resp.Location()
	if err != nil {
		return nil, errors.New("mockidp: authorize: redirect without a Location")
	}
	return loc, nil
}

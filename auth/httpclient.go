package auth

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxIdPResponseBytes bounds the body of each answer of the identity
// provider; a longer one is an error, never silently cut. Each request is
// bounded by [DefaultHTTPTimeout].
const maxIdPResponseBytes = 1 << 20

// outboundClient returns the client used for the identity provider: a
// copy of c (or of a default client) with a timeout and bounded bodies.
func outboundClient(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	if out.Timeout == 0 {
		out.Timeout = DefaultHTTPTimeout
	}
	base := out.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = DefaultHTTPTimeout
		base = t
	}
	out.Transport = limitTransport{base: base, max: maxIdPResponseBytes}
	if out.CheckRedirect == nil {
		// The provider's endpoints are fixed by its metadata; a redirect
		// is at most followed a few times.
		out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("auth: too many redirects from the identity provider")
			}
			return nil
		}
	}
	return &out
}

// limitTransport fails a response whose body is longer than max bytes.
type limitTransport struct {
	base http.RoundTripper
	max  int64
}

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("auth: %s answered %d bytes (at most %d)", req.URL.Host, resp.ContentLength, t.max)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max, host: req.URL.Host}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
	host string
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("auth: answer of %s longer than %d bytes", b.host, maxIdPResponseBytes)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

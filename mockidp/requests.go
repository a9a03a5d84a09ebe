package mockidp

import (
	"net/http"
	"net/url"
	"time"
)

const maxRecorded = 1000

// RecordedRequest is one request the provider received, for tests that
// assert what a client sent. Secrets are never recorded.
type RecordedRequest struct {
	Time   time.Time
	Method string
	Path   string
	// Query holds the URL query parameters (authorize requests carry
	// state, nonce, code_challenge, login_hint... here).
	Query url.Values
	// BasicAuthUser is the client ID of an Authorization: Basic header.
	BasicAuthUser string
}

// Requests returns the last requests received (at most 1000), oldest first.
func (p *Provider) Requests() []RecordedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]RecordedRequest, 0, len(p.requests))
	if len(p.requests) == maxRecorded {
		out = append(out, p.requests[p.requestHead:]...)
		return append(out, p.requests[:p.requestHead]...)
	}
	return append(out, p.requests...)
}

func (p *Provider) record(r *http.Request) {
	rec := RecordedRequest{
		Time:   p.opts.Now(),
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
	}
	rec.BasicAuthUser, _, _ = r.BasicAuth()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.requests) < maxRecorded {
		p.requests = append(p.requests, rec)
		return
	}
	p.requests[p.requestHead] = rec // ring: overwrite the oldest
	p.requestHead = (p.requestHead + 1) % maxRecorded
}

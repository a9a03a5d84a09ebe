package gateway

import (
	"net/http"
	"time"

	"github.com/oauthgate/oauthgate/auth"
)

// observedClient returns a copy of c (or of the auth default) whose
// requests to the identity provider are reported to obs.
func observedClient(c *http.Client, obs Observer) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	base := out.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = auth.DefaultHTTPTimeout
		base = t
	}
	if o, ok := base.(observedTransport); ok {
		base = o.base // a reload gives the running client back
	}
	out.Transport = observedTransport{base: base, obs: obs}
	return &out
}

type observedTransport struct {
	base http.RoundTripper
	obs  Observer
}

func (t observedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	t.obs.IdPRequest(req.URL.Host, status, time.Since(start), err)
	return resp, err
}

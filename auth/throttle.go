package auth

import (
	"net/http"
	"time"

	"github.com/oauthgate/oauthgate/internal/clientaddr"
)

// The throttles count over a sliding minute and keep at most this many
// keys each (a few hundred bytes a key), forgetting the quietest first.
const (
	throttleWindow = time.Minute
	throttleKeys   = 10_000
)

// countLoginStart counts a login start of r's client network, or refuses
// it (429) when the network started throttle.login_starts within a
// minute. The start that reaches the limit is logged. A request without
// an address is not counted: it cannot be told apart from the others.
func (m *Manager) countLoginStart(r *http.Request) error {
	a, ok := m.proxies.Client(r)
	if !ok {
		return nil
	}
	network, now := clientaddr.Network(a), m.now()
	if wait := m.loginStarts.Take(network, now); wait > 0 {
		return &Error{Status: http.StatusTooManyRequests, RetryAfter: wait,
			Msg: "Too many logins were started from your address. Wait a minute, then try again."}
	}
	if m.loginStarts.Wait(network, now) > 0 {
		m.log.Warn("auth: login starts throttled: too many from one address within a minute", "network", network.String())
	}
	return nil
}

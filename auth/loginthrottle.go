package auth

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/oauthgate/oauthgate/internal/clientaddr"
	"github.com/oauthgate/oauthgate/internal/throttle"
)

// The throttles count over a sliding minute and keep at most this many
// keys each (a few hundred bytes a key), forgetting the quietest first.
const (
	throttleWindow = time.Minute
	throttleKeys   = 10_000
)

// loginThrottle limits the logins started per client network
// (throttle.login_starts).
type loginThrottle struct {
	proxies clientaddr.Proxies // name the client behind a trusted proxy
	starts  *throttle.Limiter[netip.Prefix]
	log     *slog.Logger
	now     func() time.Time
}

func newLoginThrottle(c *Config, log *slog.Logger, now func() time.Time) *loginThrottle {
	return &loginThrottle{
		proxies: clientaddr.ParseProxies(c.TrustedProxies),
		starts:  throttle.NewLimiter[netip.Prefix](c.Throttle.LoginStarts, throttleWindow, throttleKeys),
		log:     log, now: now,
	}
}

// count counts a login start of r's client network, or refuses
// it (429) when the network started throttle.login_starts within a
// minute. The start that reaches the limit is logged. A request without
// an address is not counted: it cannot be told apart from the others.
func (t *loginThrottle) count(r *http.Request) error {
	a, ok := t.proxies.Client(r)
	if !ok {
		return nil
	}
	network, now := clientaddr.Network(a), t.now()
	if wait := t.starts.Take(network, now); wait > 0 {
		return &Error{Status: http.StatusTooManyRequests, RetryAfter: wait,
			Msg: "Too many logins were started from your address. Wait a minute, then try again."}
	}
	if t.starts.Wait(network, now) > 0 {
		t.log.Warn("auth: login starts throttled: too many from one address within a minute", "network", network.String())
	}
	return nil
}

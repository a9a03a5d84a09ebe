package auth

import (
	"hash/maphash"
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

// failureThrottle refuses client authentication, before any lookup or
// hash, to a client id that failed too often from one network, and to a
// network that failed too often whatever the client ids. A request
// without an address (a Unix socket's peer) is not counted: it cannot be
// told apart from the others, and counting them all together would let
// one caller lock every other out; the hashing queue still bounds it.
type failureThrottle struct {
	pairs    *throttle.Limiter[pairKey]
	networks *throttle.Limiter[netip.Prefix]
	seed     maphash.Seed
}

// pairKey is a client id (hashed, so that a key has one size whatever the
// id's length) and a network.
type pairKey struct {
	client  uint64
	network netip.Prefix
}

func newFailureThrottle(c ThrottleConfig) *failureThrottle {
	return &failureThrottle{
		pairs:    throttle.NewLimiter[pairKey](c.ClientFailures, throttleWindow, throttleKeys),
		networks: throttle.NewLimiter[netip.Prefix](c.AddressFailures, throttleWindow, throttleKeys),
		seed:     maphash.MakeSeed(),
	}
}

func (t *failureThrottle) key(clientID string, addr netip.Addr) pairKey {
	return pairKey{client: maphash.String(t.seed, clientID), network: clientaddr.Network(addr)}
}

// wait returns how long the pair must wait before it is checked again; 0
// when it may be checked now.
func (t *failureThrottle) wait(k pairKey, now time.Time) time.Duration {
	if !k.network.IsValid() {
		return 0
	}
	if d := t.networks.Wait(k.network, now); d > 0 {
		return d
	}
	return t.pairs.Wait(k, now)
}

// failed counts a failed authentication of the pair. It reports whether
// this failure locked the pair or its network out, for a single log line.
func (t *failureThrottle) failed(k pairKey, now time.Time) (locked bool) {
	if !k.network.IsValid() {
		return false
	}
	t.pairs.Add(k, now)
	t.networks.Add(k.network, now)
	return t.pairs.Wait(k, now) > 0 || t.networks.Wait(k.network, now) > 0
}

// succeeded forgets the pair's failures: whoever knows the secret gains
// nothing by guessing it. The network's count stays, so a client with a
// good secret cannot clear the way for guesses at other client ids.
func (t *failureThrottle) succeeded(k pairKey) { t.pairs.Reset(k) }

// countLoginStart counts a login start of r's client network, or refuses
// it (429) when the network started throttle.login_starts within a
// minute. The start that reaches the limit is logged. A request without
// an address is not counted (see failureThrottle).
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

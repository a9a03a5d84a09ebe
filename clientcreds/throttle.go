package clientcreds

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"net/netip"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/clientaddr"
	"github.com/oauthgate/oauthgate/internal/throttle"
)

// ThrottleConfig is the grant's part of the `throttle:` section (beside
// auth's login_starts): how the token endpoint bounds the work of callers
// who have not authenticated. Counts are per client address (the TCP
// peer, or the client named by a proxy of trusted_proxies; an IPv6 client
// counts per /64) over a sliding minute. Every limit must be at least 1;
// 0 means the default.
type ThrottleConfig struct {
	// ClientFailures is how many failed client authentications (wrong
	// secret, unknown client id) one client id may have from one address
	// within a minute. Then the token endpoint answers that client id from
	// that address 429 slow_down, without checking the secret, until the
	// oldest failure is a minute old. A success forgets the pair's
	// failures. Default 10.
	ClientFailures int `yaml:"client_failures"`
	// AddressFailures is how many failed client authentications one
	// address may have within a minute whatever the client ids; then every
	// client id from it gets 429. It must be more than ClientFailures, so
	// that one locked-out client id leaves the others of its address
	// alone. Default three times ClientFailures.
	AddressFailures int `yaml:"address_failures"`
	// SecretCheckQueue is how many token requests may wait for a secret
	// check while GOMAXPROCS are being checked (each check is an argon2id
	// hash of 19 MiB and tens of milliseconds); one more gets 503
	// temporarily_unavailable at once. Default 32.
	SecretCheckQueue int `yaml:"secret_check_queue"`
}

// Defaults of [ThrottleConfig].
const (
	DefaultClientFailures   = 10
	DefaultSecretCheckQueue = 32
)

// The throttles count over a sliding minute and keep at most this many
// keys each (a few hundred bytes a key), forgetting the quietest first.
const (
	throttleWindow = time.Minute
	throttleKeys   = 10_000
)

// validate fills in the defaults and checks the limits.
func (t *ThrottleConfig) validate() []error {
	var errs []error
	bad := func(key, reason string) {
		errs = append(errs, &auth.ConfigError{Key: "throttle." + key, Reason: reason})
	}
	if t.AddressFailures == 0 && t.ClientFailures >= 0 {
		t.AddressFailures = min(3*cmp.Or(t.ClientFailures, DefaultClientFailures), 1_000_000)
	}
	for _, l := range []struct {
		key      string
		v        *int
		def, top int
	}{
		{"client_failures", &t.ClientFailures, DefaultClientFailures, 100_000},
		{"address_failures", &t.AddressFailures, 0, 1_000_000},
		{"secret_check_queue", &t.SecretCheckQueue, DefaultSecretCheckQueue, 100_000},
	} {
		switch {
		case *l.v < 0:
			bad(l.key, "negative")
		case *l.v > l.top:
			bad(l.key, fmt.Sprintf("more than %d", l.top))
		case *l.v == 0:
			*l.v = l.def
		}
	}
	if len(errs) == 0 && t.AddressFailures <= t.ClientFailures {
		bad("address_failures", fmt.Sprintf("%d is not more than client_failures (%d): one locked-out client id would lock out its whole address",
			t.AddressFailures, t.ClientFailures))
	}
	return errs
}

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

package auth

import (
	"cmp"
	"fmt"
)

// ThrottleConfig bounds the work that callers who have not authenticated
// can cause. Counts are per client address (the TCP peer, or the client
// named by a proxy of trusted_proxies; an IPv6 client counts per /64) over
// a sliding minute. Every limit must be at least 1; 0 means the default.
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
	// LoginStarts is how many logins one address may start within a
	// minute; then {prefix}/login answers a 429 page. Raise it when many
	// people share one address without a trusted proxy naming them (a
	// company NAT). Default 60.
	LoginStarts int `yaml:"login_starts"`
}

// Defaults of [ThrottleConfig].
const (
	DefaultThrottleClientFailures   = 10
	DefaultThrottleSecretCheckQueue = 32
	DefaultThrottleLoginStarts      = 60
)

// validate fills in the defaults and checks the limits.
func (t *ThrottleConfig) validate() []error {
	var errs []error
	bad := func(key, reason string) {
		errs = append(errs, &ConfigError{Key: "throttle." + key, Reason: reason})
	}
	if t.AddressFailures == 0 && t.ClientFailures >= 0 {
		t.AddressFailures = min(3*cmp.Or(t.ClientFailures, DefaultThrottleClientFailures), 1_000_000)
	}
	for _, l := range []struct {
		key      string
		v        *int
		def, top int
	}{
		{"client_failures", &t.ClientFailures, DefaultThrottleClientFailures, 100_000},
		{"address_failures", &t.AddressFailures, 0, 1_000_000},
		{"secret_check_queue", &t.SecretCheckQueue, DefaultThrottleSecretCheckQueue, 100_000},
		{"login_starts", &t.LoginStarts, DefaultThrottleLoginStarts, 1_000_000},
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

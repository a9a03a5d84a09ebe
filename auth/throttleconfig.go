package auth

import "fmt"

// ThrottleConfig bounds the work that callers who have not authenticated
// can cause. Counts are per client address (the TCP peer, or the client
// named by a proxy of trusted_proxies; an IPv6 client counts per /64) over
// a sliding minute. Every limit must be at least 1; 0 means the default.
type ThrottleConfig struct {
	// LoginStarts is how many logins one address may start within a
	// minute; then {prefix}/login answers a 429 page. Raise it when many
	// people share one address without a trusted proxy naming them (a
	// company NAT). Default 60.
	LoginStarts int `yaml:"login_starts"`
}

// defaultThrottleLoginStarts is the default of [ThrottleConfig.LoginStarts].
const defaultThrottleLoginStarts = 60

// validate fills in the default and checks the login limit.
func (t *ThrottleConfig) validate() []error {
	switch {
	case t.LoginStarts < 0:
		return []error{&ConfigError{Key: "throttle.login_starts", Reason: "negative"}}
	case t.LoginStarts > 1_000_000:
		return []error{&ConfigError{Key: "throttle.login_starts", Reason: fmt.Sprintf("more than %d", 1_000_000)}}
	case t.LoginStarts == 0:
		t.LoginStarts = defaultThrottleLoginStarts
	}
	return nil
}

package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

const redacted = "[redacted]"

// redactedCopy returns c with its secrets replaced, for printing.
func (c Config) redactedCopy() Config {
	r := c
	if r.SecretKey != "" {
		r.SecretKey = redacted
	}
	if r.ClientSecret != "" {
		r.ClientSecret = redacted
	}
	if r.Store.DSN != "" {
		r.Store.DSN = redacted
	}
	if len(r.MachineIssuers) > 0 {
		r.MachineIssuers = make([]MachineIssuer, len(c.MachineIssuers))
		for i, iss := range c.MachineIssuers {
			if iss != nil {
				r.MachineIssuers[i] = issuerName(iss.Issuer())
			}
		}
	}
	if len(r.PreviousSecretKeys) > 0 {
		r.PreviousSecretKeys = make([]string, len(c.PreviousSecretKeys))
		for i := range r.PreviousSecretKeys {
			r.PreviousSecretKeys[i] = redacted
		}
	}
	return r
}

// String prints the configuration with secret_key, previous_secret_keys,
// client_secret, the clients' secrets and store.dsn redacted, and each of
// MachineIssuers as its iss only, so that logging it leaks nothing.
func (c Config) String() string {
	type plain Config // drops the methods, so no recursion
	return fmt.Sprintf("%+v", plain(c.redactedCopy()))
}

// LogValue makes slog print the redacted configuration.
func (c Config) LogValue() slog.Value {
	return slog.StringValue(c.String())
}

// issuerName stands for a [MachineIssuer] in a printed configuration: its
// iss, and nothing of what it holds.
type issuerName string

func (n issuerName) Issuer() string { return string(n) }

func (n issuerName) Verify(context.Context, string, string, time.Time) (*Machine, error) {
	return nil, errNotMachineToken
}

func (n issuerName) Version() uint64 { return 0 }

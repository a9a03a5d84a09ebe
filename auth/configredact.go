package auth

import (
	"fmt"
	"log/slog"
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
	if len(r.Clients) > 0 {
		r.Clients = make(map[string]ClientConfig, len(c.Clients))
		for id, cl := range c.Clients {
			if cl.ClientSecret != "" {
				cl.ClientSecret = redacted
			}
			r.Clients[id] = cl
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
// client_secret, the clients' secrets and store.dsn redacted, so that logging it leaks nothing.
func (c Config) String() string {
	type plain Config // drops the methods, so no recursion
	return fmt.Sprintf("%+v", plain(c.redactedCopy()))
}

// LogValue makes slog print the redacted configuration.
func (c Config) LogValue() slog.Value {
	return slog.StringValue(c.String())
}

package auth

import "context"

// Discover fetches the identity provider's discovery document now instead
// of on the first login, and reports whether the provider is known: nil
// once a discovery has succeeded (the result is kept), or when there is no
// provider (force_user without server_metadata_url, or an app without
// browser login: [Config.NoLogin]). A failure is retried
// by a later call at most every 2s, like the lazy discovery; in between,
// calls return the last error at once. A gateway uses it for its
// readiness check.
func (m *Manager) Discover(ctx context.Context) error {
	if m.idp == nil {
		return nil
	}
	_, err := m.idp.get(ctx)
	return err
}

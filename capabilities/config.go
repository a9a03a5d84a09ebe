package capabilities

import "errors"

// Config is the `capabilities:` section of the configuration file, with
// easy-oauth's keys.
type Config struct {
	// Graph maps each capability to the capabilities it implies.
	Graph map[string][]string `yaml:"graph"`
	// AutoAdmin adds an "admin" capability that implies every other one.
	// The default (nil) is true.
	AutoAdmin *bool `yaml:"auto_admin"`
	// UserFile is the YAML file of stored capabilities (`email: [cap, ...]`).
	// A relative path is resolved against the configuration file's folder.
	UserFile string `yaml:"user_file" conf:"path,written"`
	// UserOverrides adds capabilities to some users from configuration only;
	// they are never written to the store.
	UserOverrides map[string][]string `yaml:"user_overrides"`
	// DefaultCapabilities are held by every logged-in user.
	DefaultCapabilities []string `yaml:"default_capabilities"`
	// GuestCapabilities are held by requests without an identity.
	GuestCapabilities []string `yaml:"guest_capabilities"`
}

// AutoAdminEnabled reports whether the "admin" capability is added (the default).
func (c Config) AutoAdminEnabled() bool { return c.AutoAdmin == nil || *c.AutoAdmin }

// Policy builds the graph and the policy that c describes. Errors name the
// configuration key, e.g. `capabilities.default_capabilities: unknown
// capability "x"`.
func (c Config) Policy() (*Policy, error) {
	g, err := NewGraph(c.Graph, c.AutoAdminEnabled())
	if err != nil {
		return nil, keyed(err, "capabilities.graph")
	}
	p, err := NewPolicy(g, PolicyConfig{
		DefaultCapabilities: c.DefaultCapabilities,
		GuestCapabilities:   c.GuestCapabilities,
		UserOverrides:       c.UserOverrides,
	})
	if err != nil {
		var u *UnknownCapabilityError
		if errors.As(err, &u) {
			return nil, keyed(err, "capabilities."+u.Key)
		}
		return nil, err
	}
	return p, nil
}

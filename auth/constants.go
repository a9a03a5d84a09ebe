package auth

import (
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
)

// The constants a user of the package may need. The defaults of the
// configuration are stated on each [Config] field instead.
const (
	// UserManagementCapability is the capability needed to manage other
	// users' capabilities and to mint service tokens.
	UserManagementCapability = "user_management"
	// ForceUserEnv is the environment variable that, set to 1, allows
	// force_user like InsecureAllowForceUser.
	ForceUserEnv = "OAUTHGATE_INSECURE_ALLOW_FORCE_USER"
	// MinSecretKeyBytes is the least entropy accepted in secret_key, in
	// bytes (`oauthgate keygen` makes this many by default).
	MinSecretKeyBytes = envelope.MinSecretKeyBytes
	// DefaultHTTPTimeout bounds each request to the identity provider
	// (discovery, keys, token exchange, refresh) when Config.HTTPClient
	// sets no timeout of its own; a gateway's client uses it too.
	DefaultHTTPTimeout = 10 * time.Second
)

package auth

import "github.com/oauthgate/oauthgate/auth/internal/envelope"

// MinSecretKeyBytes is the least entropy accepted in secret_key, in bytes.
const MinSecretKeyBytes = envelope.MinSecretKeyBytes

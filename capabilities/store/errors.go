package store

import "errors"

// Errors of the stores, wrapped with %w: test with errors.Is.
var (
	// ErrClosed is returned by the operations of a closed store.
	ErrClosed = errors.New("capabilities: store is closed")

	// ErrUnavailable is matched by the errors of a store whose backing
	// service (a database server) cannot be reached: the request may
	// succeed later, so an HTTP layer answers 503 Service Unavailable.
	ErrUnavailable = errors.New("capabilities: store unavailable")

	// ErrSecretNotHashed is matched by the error of a client write whose
	// SecretHash is not an argon2id hash: a store never holds a plaintext
	// secret. The error never quotes the refused value.
	ErrSecretNotHashed = errors.New("capabilities: client secret is not an argon2id hash (a store keeps only hashes: hash it with clientcreds.HashClientSecret or `oauthgate clients hash`)")

	// ErrInvalidClient is matched by the error of a client write whose id
	// or lists cannot be stored.
	ErrInvalidClient = errors.New("capabilities: invalid client")

	// ErrClientNotFound is returned by [ClientStore] writes naming an
	// unknown client.
	ErrClientNotFound = errors.New("capabilities: no such client")
)

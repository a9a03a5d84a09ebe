package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Client is a machine client of the OAuth 2.0 client-credentials grant: a
// program (a cron job, another service, a partner backend) that trades its
// id and secret for a signed access token. The fields follow the clients
// file of simple_oauth_server.
type Client struct {
	// ID is the client_id. Case-sensitive.
	ID string
	// SecretHash is the hash of the client secret (an argon2id PHC string,
	// see clientcreds.HashClientSecret). A store never holds a plaintext secret.
	SecretHash string
	// Audience lists the aud values the client may ask for; the first is
	// the default when a token request names none.
	Audience []string
	// Subject is the sub claim of the client's tokens; "" means ID.
	Subject string
	// Scope lists the scopes the client may ask for (and gets by default).
	Scope []string
	// Permissions, Roles and Groups are copied into the client's tokens.
	Permissions []string
	Roles       []string
	Groups      []string
	// Disabled clients get no token, and the tokens they hold are refused.
	Disabled bool
	// Created and Updated are set by the store.
	Created time.Time
	Updated time.Time
}

// Sub returns the sub claim of the client's tokens.
func (c *Client) Sub() string {
	if c.Subject != "" {
		return c.Subject
	}
	return c.ID
}

// Clone returns a deep copy of c.
func (c Client) Clone() Client {
	c.Audience = slices.Clone(c.Audience)
	c.Scope = slices.Clone(c.Scope)
	c.Permissions = slices.Clone(c.Permissions)
	c.Roles = slices.Clone(c.Roles)
	c.Groups = slices.Clone(c.Groups)
	return c
}

// SecretHashPrefix starts every client-secret hash a [ClientStore] accepts:
// an argon2id PHC string, as clientcreds.HashClientSecret makes.
const SecretHashPrefix = "$argon2id$"

// Validate reports why c cannot be stored, or nil. The id must be
// non-empty printable UTF-8 without a colon (HTTP Basic credentials split
// on it); SecretHash must be an argon2id hash ([ErrSecretNotHashed]); list
// entries must be non-empty UTF-8 without control characters, and a scope
// holds no space (scopes are written space-separated).
func (c *Client) Validate() error {
	switch {
	case c.ID == "":
		return fmt.Errorf("%w: empty id", ErrInvalidClient)
	case len(c.ID) > 255:
		return fmt.Errorf("%w: id longer than 255 bytes", ErrInvalidClient)
	case !printable(c.ID) || strings.ContainsRune(c.ID, ':') || strings.TrimSpace(c.ID) != c.ID:
		return fmt.Errorf("%w: id %q: want printable text without ':' or surrounding spaces", ErrInvalidClient, c.ID)
	}
	if !strings.HasPrefix(c.SecretHash, SecretHashPrefix) || !printable(c.SecretHash) || strings.ContainsAny(c.SecretHash, " \t") {
		return fmt.Errorf("%w: client %q", ErrSecretNotHashed, c.ID)
	}
	if !printable(c.Subject) {
		return fmt.Errorf("%w: client %q: sub holds a control character or invalid UTF-8", ErrInvalidClient, c.ID)
	}
	for _, l := range []struct {
		name  string
		items []string
	}{{"audience", c.Audience}, {"scope", c.Scope}, {"permissions", c.Permissions}, {"roles", c.Roles}, {"groups", c.Groups}} {
		for _, item := range l.items {
			if item == "" || !printable(item) || l.name == "scope" && strings.ContainsFunc(item, unicode.IsSpace) {
				return fmt.Errorf("%w: client %q: %s entry %q", ErrInvalidClient, c.ID, l.name, item)
			}
		}
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters
// (which includes NUL, which PostgreSQL text cannot hold).
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// ClientStore keeps machine clients. Reads are answered from memory, so
// that a token request and a per-request "is this client still enabled"
// check are fast; writes are durable before they return. Implementations
// are safe for concurrent use.
type ClientStore interface {
	// Client returns the client with this id; ok is false when there is
	// none.
	Client(ctx context.Context, id string) (c Client, ok bool, err error)
	// Clients returns every client, sorted by id.
	Clients(ctx context.Context) ([]Client, error)
	// PutClient creates the client or replaces it whole (Created is kept
	// when it exists). A client that [Client.Validate] refuses is an
	// error, and nothing is written: a SecretHash that is not an argon2id
	// hash matches [ErrSecretNotHashed].
	PutClient(ctx context.Context, c Client) error
	// RemoveClient deletes the client; it returns [ErrClientNotFound] when
	// there is none.
	RemoveClient(ctx context.Context, id string) error
	// ClientsVersion is a cheap counter that changes whenever a client may
	// have changed, in this process or another one.
	ClientsVersion() uint64
	// Close releases the store's resources.
	Close() error
}

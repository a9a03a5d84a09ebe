package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
)

// Kind says who a request's identity is.
type Kind uint8

// The kinds of identity.
const (
	KindGuest   Kind = iota // no credential: the guest capabilities apply
	KindUser                // a person, by session cookie or user token
	KindService             // a service account (name@service), by service token
	KindClient              // a machine client, by a JWT access token (client credentials)
)

// String returns "guest", "user", "service" or "client".
func (k Kind) String() string {
	switch k {
	case KindGuest:
		return "guest"
	case KindUser:
		return "user"
	case KindService:
		return "service"
	case KindClient:
		return "client"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Identity is who made a request and what they may do. Identities are
// shared between requests and must not be modified.
type Identity struct {
	// Email is the user's normalized email, or name@service; "" for a guest
	// or a machine client.
	Email string
	// Subject is a machine client's sub claim; "" for other kinds.
	Subject string
	// Kind is guest, user or service.
	Kind Kind
	// TokenID is the id of the bearer token that carried the identity; ""
	// for sessions and guests.
	TokenID string
	// Via is how the identity came: "session", "bearer", or "" (guest or
	// force_user).
	Via string
	// ExpiresAt is when the session or token ends; zero for guests.
	ExpiresAt time.Time

	set   capabilities.Set
	graph *capabilities.Graph
	// sessionID identifies the browser session (Via "session").
	sessionID string
	// machine is what a machine client's token says (KindClient).
	machine *Machine
	// claims are the token's claims that claim rules read.
	claims claimValues
}

// Has reports whether the identity holds capability (directly or implied).
// An unknown name is never held.
func (id *Identity) Has(capability string) bool {
	if id == nil || id.graph == nil {
		return false
	}
	c, ok := id.graph.Lookup(capability)
	return ok && id.set.Has(c)
}

// HasCap reports whether the identity holds c, a capability of the
// manager's graph (see [Users.Policy]).
func (id *Identity) HasCap(c capabilities.Cap) bool {
	return id != nil && id.set.Has(c)
}

// Capabilities returns the effective capabilities, closed over
// implications, sorted.
func (id *Identity) Capabilities() []string {
	if id == nil || id.graph == nil {
		return []string{}
	}
	return id.graph.SetNames(id.set)
}

// IsGuest reports whether the request carried no identity.
func (id *Identity) IsGuest() bool { return id == nil || id.Kind == KindGuest }

// String returns "guest" or "user:email" / "service:name@service" /
// "client:sub", for logs.
func (id *Identity) String() string {
	if id.IsGuest() {
		return "guest"
	}
	if id.Kind == KindClient {
		return "client:" + id.Subject
	}
	return id.Kind.String() + ":" + id.Email
}

type identityKey struct{}

// emptyGuest is the guest of a request that went through no middleware.
var emptyGuest = &Identity{Kind: KindGuest}

// IdentityFrom returns the identity that [Manager.Require],
// [Manager.RequireLogin] or [Manager.Optional] put in ctx. It never returns
// nil: without one it returns a guest holding no capability.
func IdentityFrom(ctx context.Context) *Identity {
	if id, ok := ctx.Value(identityKey{}).(*Identity); ok && id != nil {
		return id
	}
	return emptyGuest
}

// WithIdentity returns a copy of ctx carrying id, for tests and for
// adapters of other routers.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

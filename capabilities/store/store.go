package store

import "context"

// Store keeps the capabilities granted to each user. Emails are compared
// as [capabilities.NormalizeEmail] does (ASCII case only); capability
// names are checked against the store's graph, and a write naming an
// unknown one fails with an [*capabilities.UnknownCapabilityError] and
// changes nothing. Lists are returned sorted, without duplicates, and
// belong to the caller. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the stored capabilities of email; an unknown user has
	// none (nil, nil).
	Get(ctx context.Context, email string) ([]string, error)
	// Set replaces the stored capabilities of email and returns them. An
	// empty list keeps the user, with no capability.
	Set(ctx context.Context, email string, caps []string) ([]string, error)
	// Add grants caps to email and returns the stored capabilities.
	Add(ctx context.Context, email string, caps ...string) ([]string, error)
	// Remove takes caps from email and returns the stored capabilities.
	Remove(ctx context.Context, email string, caps ...string) ([]string, error)
	// Update changes the stored capabilities of email in one atomic step
	// and returns them: fn gets the list stored now (sorted; nil when the
	// user is not stored; fn may keep or change it) and returns the list
	// to store. No other write to email, by this process or another one,
	// comes between what fn sees and the write of what it returns, so a
	// decision that depends on the stored list (a delegation check) is
	// made inside fn. fn may be called more than once (a store may retry
	// its step) and must not block or call the store. When fn returns an
	// error, nothing is written and Update returns that error as it is.
	//
	// The result is checked like Set's, sorted and deduplicated. A result
	// equal to the stored list writes nothing (Version stays), and for a
	// user not stored a nil result leaves it so (an empty, non-nil list
	// stores it with no capability): returning current unchanged is a
	// read of the newest stored state, never of a cache.
	Update(ctx context.Context, email string, fn func(current []string) ([]string, error)) ([]string, error)
	// List returns every stored user (normalized emails) and their
	// capabilities.
	List(ctx context.Context) (map[string][]string, error)
	// Version is a cheap counter that changes whenever the stored data may
	// have changed, by this process or another one, or by hand; caches
	// compare it to know when to drop their entries.
	Version() uint64
	// Close releases the store's resources.
	Close() error
}

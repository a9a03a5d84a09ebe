package capabilities

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// Store keeps the capabilities granted to each user. Emails are compared
// as [NormalizeEmail] does (ASCII case only); capability names are checked
// against the store's graph, and a write naming an unknown one fails with an
// [*UnknownCapabilityError] and changes nothing. Lists are returned sorted,
// without duplicates, and belong to the caller. Implementations are safe for
// concurrent use.
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

// ErrClosed is returned by the operations of a closed store.
var ErrClosed = errors.New("capabilities: store is closed")

// NormalizeEmail returns the form under which emails are compared and
// stored: without surrounding ASCII spaces, ASCII letters in lower case,
// every other character kept as it is. Unicode case mapping would make a
// lookalike such as "\u212Aate@example.com" (KELVIN SIGN) the same user as
// "kate@example.com"; here a non-ASCII address never equals an ASCII one.
func NormalizeEmail(s string) string { return emailaddr.Normalize(s) }

// ParseEmail returns the normalized email ([NormalizeEmail]), or why no
// capabilities may be stored under it: the rule every store applies to
// the emails it is given, and the login, the management routes and the
// configuration apply to theirs. It accepts a user's address or a service
// account's name@service, and refuses anything but exactly one "@" with
// something on both sides, an empty domain label, more than 254 bytes,
// invalid UTF-8, white space, control or invisible formatting characters,
// and the characters < > " , ;.
func ParseEmail(s string) (string, error) { return emailaddr.Parse(s) }

// checkCaps returns caps sorted and without duplicates, or an
// [*UnknownCapabilityError] naming email.
func checkCaps(g *Graph, email string, caps []string) ([]string, error) {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		if _, ok := g.Lookup(c); !ok {
			return nil, &UnknownCapabilityError{Name: c, Email: email}
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// update is one change to a user's list: it returns the new list from the
// current one (nil when the user is not stored), or why there is none. Set,
// Add and Remove are updates too, so that every write takes one path.
type update = func(current []string) ([]string, error)

func setUpdate(caps []string) update {
	return func([]string) ([]string, error) { return caps, nil }
}

func addUpdate(caps []string) update {
	return func(cur []string) ([]string, error) {
		out := append(slices.Clone(cur), caps...)
		slices.Sort(out)
		return slices.Compact(out), nil
	}
}

func removeUpdate(caps []string) update {
	return func(cur []string) ([]string, error) {
		out := make([]string, 0, len(cur))
		for _, c := range cur {
			if !slices.Contains(caps, c) {
				out = append(out, c)
			}
		}
		return out, nil
	}
}

// prepare checks an email and capabilities for a write and returns the
// normalized email and the update to apply.
func prepare(g *Graph, email string, caps []string, mk func([]string) update) (string, update, error) {
	key, err := storeKey(email)
	if err != nil {
		return "", nil, err
	}
	checked, err := checkCaps(g, key, caps)
	if err != nil {
		return "", nil, err
	}
	return key, mk(checked), nil
}

// storeKey is [ParseEmail] for the operations of a store.
func storeKey(email string) (string, error) {
	key, err := ParseEmail(email)
	if err != nil {
		return "", fmt.Errorf("capabilities: %w", err)
	}
	return key, nil
}

// nextList runs fn on the list of key (stored tells a user without
// capabilities from one not stored) and returns the checked list that
// follows and whether storing it changes anything. When it does not, the
// list returned is the current one.
func nextList(g *Graph, key string, current []string, stored bool, fn update) ([]string, bool, error) {
	out, err := fn(slices.Clone(current))
	if err != nil {
		return nil, false, err
	}
	if out == nil && !stored {
		return nil, false, nil
	}
	checked, err := checkCaps(g, key, out)
	if err != nil {
		return nil, false, err
	}
	if stored && slices.Equal(checked, current) {
		return current, false, nil
	}
	return checked, true, nil
}

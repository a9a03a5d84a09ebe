package capabilities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

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

// checkEmail returns the normalized email, or why it cannot be stored.
func checkEmail(email string) (string, error) {
	if !utf8.ValidString(email) {
		return "", fmt.Errorf("email %q is not valid UTF-8", email)
	}
	key := NormalizeEmail(email)
	if key == "" {
		return "", fmt.Errorf("email %q is empty", email)
	}
	return key, nil
}

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
// current one (nil when the user is not stored).
type update func(current []string) []string

func setUpdate(caps []string) update { return func([]string) []string { return caps } }

func addUpdate(caps []string) update {
	return func(cur []string) []string {
		out := append(slices.Clone(cur), caps...)
		slices.Sort(out)
		return slices.Compact(out)
	}
}

func removeUpdate(caps []string) update {
	return func(cur []string) []string {
		out := make([]string, 0, len(cur))
		for _, c := range cur {
			if !slices.Contains(caps, c) {
				out = append(out, c)
			}
		}
		return out
	}
}

// prepare checks an email and capabilities for a write and returns the
// normalized email and the update to apply.
func prepare(g *Graph, email string, caps []string, mk func([]string) update) (string, update, error) {
	key, err := checkEmail(email)
	if err != nil {
		return "", nil, fmt.Errorf("capabilities: %w", err)
	}
	checked, err := checkCaps(g, key, caps)
	if err != nil {
		return "", nil, err
	}
	return key, mk(checked), nil
}

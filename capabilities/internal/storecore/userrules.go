package storecore

import (
	"fmt"
	"slices"

	"github.com/oauthgate/oauthgate/capabilities"
)

// CheckCaps returns caps sorted and without duplicates, or an
// [*capabilities.UnknownCapabilityError] naming email.
func CheckCaps(g *capabilities.Graph, email string, caps []string) ([]string, error) {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		if _, ok := g.Lookup(c); !ok {
			return nil, &capabilities.UnknownCapabilityError{Name: c, Email: email}
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Update is one change to a user's list: it returns the new list from the
// current one (nil when the user is not stored), or why there is none. Set,
// Add and Remove are updates too, so that every write takes one path.
type Update = func(current []string) ([]string, error)

// SetUpdate replaces the list with caps.
func SetUpdate(caps []string) Update {
	return func([]string) ([]string, error) { return caps, nil }
}

// AddUpdate adds caps to the list.
func AddUpdate(caps []string) Update {
	return func(cur []string) ([]string, error) {
		out := append(slices.Clone(cur), caps...)
		slices.Sort(out)
		return slices.Compact(out), nil
	}
}

// RemoveUpdate takes caps out of the list.
func RemoveUpdate(caps []string) Update {
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

// Prepare checks an email and capabilities for a write and returns the
// normalized email and the update to apply.
func Prepare(g *capabilities.Graph, email string, caps []string, mk func([]string) Update) (string, Update, error) {
	key, err := Key(email)
	if err != nil {
		return "", nil, err
	}
	checked, err := CheckCaps(g, key, caps)
	if err != nil {
		return "", nil, err
	}
	return key, mk(checked), nil
}

// Key is [capabilities.ParseEmail] for the operations of a store.
func Key(email string) (string, error) {
	key, err := capabilities.ParseEmail(email)
	if err != nil {
		return "", fmt.Errorf("capabilities: %w", err)
	}
	return key, nil
}

// NextList runs fn on the list of key (stored tells a user without
// capabilities from one not stored) and returns the checked list that
// follows and whether storing it changes anything. When it does not, the
// list returned is the current one.
func NextList(g *capabilities.Graph, key string, current []string, stored bool, fn Update) ([]string, bool, error) {
	out, err := fn(slices.Clone(current))
	if err != nil {
		return nil, false, err
	}
	if out == nil && !stored {
		return nil, false, nil
	}
	checked, err := CheckCaps(g, key, out)
	if err != nil {
		return nil, false, err
	}
	if stored && slices.Equal(checked, current) {
		return current, false, nil
	}
	return checked, true, nil
}

package capabilities

import (
	"fmt"
	"slices"
)

// PolicyConfig holds what a [Policy] adds to the stored capabilities.
type PolicyConfig struct {
	// DefaultCapabilities are held by every logged-in user.
	DefaultCapabilities []string
	// GuestCapabilities are held by requests without an identity.
	GuestCapabilities []string
	// UserOverrides adds capabilities to some users (keys are emails,
	// compared as [NormalizeEmail] does). They are never written to a store.
	UserOverrides map[string][]string
}

// Policy turns a user's stored capabilities into the effective set the user
// holds, and decides what a manager may delegate. A Policy is immutable and
// safe for concurrent use.
type Policy struct {
	graph     *Graph
	defaults  Set            // not closed
	guest     Set            // closed
	overrides map[string]Set // normalized email → set, not closed
}

// NewPolicy checks cfg against g. Errors name the field ("default_capabilities",
// "guest_capabilities", "user_overrides") and the bad capability or email.
func NewPolicy(g *Graph, cfg PolicyConfig) (*Policy, error) {
	p := &Policy{graph: g, overrides: make(map[string]Set, len(cfg.UserOverrides))}
	var err error
	if p.defaults, err = g.Set(cfg.DefaultCapabilities...); err != nil {
		return nil, keyed(err, "default_capabilities")
	}
	guest, err := g.Set(cfg.GuestCapabilities...)
	if err != nil {
		return nil, keyed(err, "guest_capabilities")
	}
	p.guest = g.Closure(guest)
	spelled := make(map[string]string, len(cfg.UserOverrides))
	emails := make([]string, 0, len(cfg.UserOverrides))
	for email := range cfg.UserOverrides {
		emails = append(emails, email)
	}
	slices.Sort(emails) // deterministic errors
	for _, email := range emails {
		key, err := ParseEmail(email)
		if err != nil {
			return nil, fmt.Errorf("capabilities: user_overrides: %w", err)
		}
		if other, dup := spelled[key]; dup {
			return nil, fmt.Errorf("capabilities: user_overrides: users %q and %q differ only in case", other, email)
		}
		spelled[key] = email
		s, err := g.Set(cfg.UserOverrides[email]...)
		if err != nil {
			e := keyed(err, "user_overrides").(*UnknownCapabilityError)
			e.Email = email
			return nil, e
		}
		p.overrides[key] = s
	}
	return p, nil
}

// Graph returns the graph the policy was built on.
func (p *Policy) Graph() *Graph { return p.graph }

// Guest returns the closed set held by requests without an identity.
func (p *Policy) Guest() Set { return p.guest }

// Defaults returns the (not closed) set held by every logged-in user.
func (p *Policy) Defaults() Set { return p.defaults }

// Override returns the (not closed) capabilities that configuration adds to
// email, if any.
func (p *Policy) Override(email string) Set { return p.overrides[NormalizeEmail(email)] }

// Effective returns the closed set held by the logged-in user email whose
// stored capabilities are stored: closure(stored ∪ overrides ∪ defaults).
// An unknown stored name is an [*UnknownCapabilityError].
func (p *Policy) Effective(email string, stored []string) (Set, error) {
	s, err := p.graph.Set(stored...)
	if err != nil {
		e := err.(*UnknownCapabilityError)
		e.Email = email
		return Set{}, e
	}
	s = s.Union(p.defaults)
	if o, ok := p.overrides[NormalizeEmail(email)]; ok {
		s = s.Union(o)
	}
	return p.graph.Closure(s), nil
}

// CheckDelegation returns a [*DelegationError] unless manager (closed here,
// so holding admin or any capability that implies one counts) holds every
// capability in caps. A manager may grant or remove only what it holds.
func (p *Policy) CheckDelegation(manager Set, caps []string) error {
	want, err := p.graph.Set(caps...)
	if err != nil {
		return err
	}
	return p.checkHeld(manager, want)
}

// CheckReplace is [Policy.CheckDelegation] for replacing the stored list
// current by next: every capability added or removed must be held.
func (p *Policy) CheckReplace(manager Set, current, next []string) error {
	cur, err := p.graph.Set(current...)
	if err != nil {
		return err
	}
	nxt, err := p.graph.Set(next...)
	if err != nil {
		return err
	}
	return p.checkHeld(manager, cur.Without(nxt).Union(nxt.Without(cur)))
}

func (p *Policy) checkHeld(manager, want Set) error {
	missing := want.Without(p.graph.Closure(manager))
	if missing.Empty() {
		return nil
	}
	return &DelegationError{Missing: p.graph.SetNames(missing)}
}

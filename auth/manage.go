package auth

import (
	"context"
	"fmt"

	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// Capability management with delegation: reading another user's stored
// capabilities, and any change, need user_management; a manager may add or
// remove only capabilities it holds itself (closure-aware: admin holds
// all), so granting admin needs admin. Unknown capabilities are
// *capabilities.UnknownCapabilityError (400); refusals match
// [ErrForbidden] or are *capabilities.DelegationError (403).

// targetEmail checks and normalizes the email of a management call; ""
// means by itself.
func targetEmail(by *Identity, email string) (string, error) {
	if emailaddr.Normalize(email) == "" {
		if by.Email == "" {
			// A machine client has no stored capabilities of its own.
			return "", badRequest("name the user: a machine client has no stored capabilities")
		}
		return by.Email, nil
	}
	e, err := emailaddr.Parse(email)
	if err != nil {
		return "", badRequest(err.Error())
	}
	return e, nil
}

// StoredCapabilities returns the capabilities stored for email (by itself
// when email is ""), sorted, without defaults, overrides or implications.
// Another user's need user_management.
func (m *Manager) StoredCapabilities(ctx context.Context, by *Identity, email string) ([]string, error) {
	if by.IsGuest() {
		return nil, unauthenticated()
	}
	target, err := targetEmail(by, email)
	if err != nil {
		return nil, err
	}
	if target != by.Email && !m.canManage(by) {
		return nil, forbidden("reading another user's capabilities needs " + UserManagementCapability)
	}
	caps, err := m.store.Get(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("auth: reading the capabilities of %s: %w", target, err)
	}
	if caps == nil {
		caps = []string{}
	}
	return caps, nil
}

// checkChange authorizes a change of email's capabilities by by.
func (m *Manager) checkChange(by *Identity, email string, caps []string) (string, error) {
	if by.IsGuest() {
		return "", unauthenticated()
	}
	if !m.canManage(by) {
		return "", forbidden("changing capabilities needs " + UserManagementCapability)
	}
	target, err := targetEmail(by, email)
	if err != nil {
		return "", err
	}
	if _, err := m.graph.Set(caps...); err != nil {
		return "", err
	}
	return target, nil
}

// AddCapabilities grants caps to email and returns its stored
// capabilities. The manager must hold every one of caps.
func (m *Manager) AddCapabilities(ctx context.Context, by *Identity, email string, caps ...string) ([]string, error) {
	target, err := m.checkChange(by, email, caps)
	if err != nil {
		return nil, err
	}
	// The check depends on the manager and caps only, never on the stored
	// list, so it may come before the store's atomic Add.
	if err := m.policy.CheckDelegation(by.set, caps); err != nil {
		return nil, err
	}
	out, err := m.store.Add(ctx, target, caps...)
	if err != nil {
		return nil, err
	}
	m.log.Info("auth: capabilities added", "email", target, "capabilities", caps, "by", by.Email)
	return out, nil
}

// RemoveCapabilities takes caps from email and returns its stored
// capabilities. The manager must hold every one of caps.
func (m *Manager) RemoveCapabilities(ctx context.Context, by *Identity, email string, caps ...string) ([]string, error) {
	target, err := m.checkChange(by, email, caps)
	if err != nil {
		return nil, err
	}
	// As in AddCapabilities, the check does not depend on the stored list.
	if err := m.policy.CheckDelegation(by.set, caps); err != nil {
		return nil, err
	}
	out, err := m.store.Remove(ctx, target, caps...)
	if err != nil {
		return nil, err
	}
	m.log.Info("auth: capabilities removed", "email", target, "capabilities", caps, "by", by.Email)
	return out, nil
}

// SetCapabilities replaces the stored capabilities of email by caps and
// returns them. The manager must hold every capability added or removed.
func (m *Manager) SetCapabilities(ctx context.Context, by *Identity, email string, caps []string) ([]string, error) {
	target, err := m.checkChange(by, email, caps)
	if err != nil {
		return nil, err
	}
	if caps == nil {
		caps = []string{}
	}
	// What is added or removed depends on the stored list: the check runs
	// on the list the write replaces, in the store's atomic step, so that a
	// change landing between a read and the write (an admin's removal) is
	// never overwritten unchecked.
	out, err := m.store.Update(ctx, target, func(cur []string) ([]string, error) {
		if err := m.policy.CheckReplace(by.set, cur, caps); err != nil {
			return nil, err
		}
		return caps, nil
	})
	if err != nil {
		return nil, err
	}
	m.log.Info("auth: capabilities set", "email", target, "capabilities", out, "by", by.Email)
	return out, nil
}

package auth

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// Users manages the capabilities stored per user ([Manager.Users]), with
// delegation: reading another user's stored
// capabilities, and any change, need user_management; a manager may add or
// remove only capabilities it holds itself (closure-aware: admin holds
// all), so granting admin needs admin. Unknown capabilities are
// *capabilities.UnknownCapabilityError (400); refusals match
// [ErrForbidden] or are *capabilities.DelegationError (403).
//
// Changes go through the store, whose version the Manager's caches
// check on every use: a change holds from the next request on.
type Users struct {
	store  store.Store
	policy *capabilities.Policy
	graph  *capabilities.Graph
	log    *slog.Logger
	mgmt   userManagement
}

// userManagement is the user_management capability of a policy; a
// policy may lack it, and then nobody manages.
type userManagement struct {
	c     capabilities.Cap
	known bool
}

func newUserManagement(g *capabilities.Graph) userManagement {
	c, ok := g.Lookup(UserManagementCapability)
	return userManagement{c: c, known: ok}
}

// heldBy reports whether id holds user_management.
func (um userManagement) heldBy(id *Identity) bool {
	return um.known && !id.IsGuest() && id.set.Has(um.c)
}

// Store returns the capability store, for what needs no caller: listing
// the users, seeding them at start. A change made here is not checked
// for delegation.
func (u *Users) Store() store.Store { return u.store }

// Policy returns the capability policy (graph, defaults, guests,
// overrides) that the users' capabilities follow.
func (u *Users) Policy() *capabilities.Policy { return u.policy }

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

// Get returns the capabilities stored for email (by itself
// when email is ""), sorted, without defaults, overrides or implications.
// Another user's need user_management.
func (u *Users) Get(ctx context.Context, by *Identity, email string) ([]string, error) {
	if by.IsGuest() {
		return nil, unauthenticated()
	}
	target, err := targetEmail(by, email)
	if err != nil {
		return nil, err
	}
	if target != by.Email && !u.mgmt.heldBy(by) {
		return nil, forbidden("reading another user's capabilities needs " + UserManagementCapability)
	}
	caps, err := u.store.Get(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("auth: reading the capabilities of %s: %w", target, err)
	}
	if caps == nil {
		caps = []string{}
	}
	return caps, nil
}

// checkChange authorizes a change of email's capabilities by by.
func (u *Users) checkChange(by *Identity, email string, caps []string) (string, error) {
	if by.IsGuest() {
		return "", unauthenticated()
	}
	if !u.mgmt.heldBy(by) {
		return "", forbidden("changing capabilities needs " + UserManagementCapability)
	}
	target, err := targetEmail(by, email)
	if err != nil {
		return "", err
	}
	if _, err := u.graph.Set(caps...); err != nil {
		return "", err
	}
	return target, nil
}

// Add grants caps to email and returns its stored
// capabilities. The manager must hold every one of caps.
func (u *Users) Add(ctx context.Context, by *Identity, email string, caps ...string) ([]string, error) {
	target, err := u.checkChange(by, email, caps)
	if err != nil {
		return nil, err
	}
	// The check depends on the manager and caps only, never on the stored
	// list, so it may come before the store's atomic Add.
	if err := u.policy.CheckDelegation(by.set, caps); err != nil {
		return nil, err
	}
	out, err := u.store.Add(ctx, target, caps...)
	if err != nil {
		return nil, err
	}
	u.log.Info("auth: capabilities added", "email", target, "capabilities", caps, "by", by.Email)
	return out, nil
}

// Remove takes caps from email and returns its stored
// capabilities. The manager must hold every one of caps.
func (u *Users) Remove(ctx context.Context, by *Identity, email string, caps ...string) ([]string, error) {
	target, err := u.checkChange(by, email, caps)
	if err != nil {
		return nil, err
	}
	// As in Add, the check does not depend on the stored list.
	if err := u.policy.CheckDelegation(by.set, caps); err != nil {
		return nil, err
	}
	out, err := u.store.Remove(ctx, target, caps...)
	if err != nil {
		return nil, err
	}
	u.log.Info("auth: capabilities removed", "email", target, "capabilities", caps, "by", by.Email)
	return out, nil
}

// Set replaces the stored capabilities of email by caps and
// returns theu. The manager must hold every capability added or removed.
func (u *Users) Set(ctx context.Context, by *Identity, email string, caps []string) ([]string, error) {
	target, err := u.checkChange(by, email, caps)
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
	out, err := u.store.Update(ctx, target, func(cur []string) ([]string, error) {
		if err := u.policy.CheckReplace(by.set, cur, caps); err != nil {
			return nil, err
		}
		return caps, nil
	})
	if err != nil {
		return nil, err
	}
	u.log.Info("auth: capabilities set", "email", target, "capabilities", out, "by", by.Email)
	return out, nil
}

package storecore

import "sync"

// Backend makes the changes of a store last before the core installs
// them. C is one commit's change: a [Delta] of users, the next
// [TokenState], or the next clients.
type Backend[C any] interface {
	// Lock and Unlock serialise commits with each other and with whatever
	// else replaces the store's data (a reload of its file). Readers
	// never take them.
	Lock()
	Unlock()
	// Begin starts a commit, under the lock. The backend may first bring
	// the core up to date (a file another process wrote). It returns the
	// function that ends the commit, or why nothing may be written now.
	Begin() (end func(), err error)
	// Commit makes change last. It is called under the lock, between
	// Begin and end; the core installs change only when it succeeds.
	Commit(change C) error
}

// memory is the [Backend] of the memory stores: a lock, nothing to write.
type memory[C any] struct{ sync.Mutex }

func (*memory[C]) Begin() (func(), error) { return nothing, nil }

func (*memory[C]) Commit(C) error { return nil }

func nothing() {}

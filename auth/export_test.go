package auth

import "context"

// SecretChecks returns how many client secrets m has hashed.
func SecretChecks(m *Manager) int64 { return m.issuing.grant.checks.Load() }

// HoldSecretChecks takes every hashing slot of m until release is called,
// so that a test can fill the queue behind them.
func HoldSecretChecks(m *Manager) (release func()) {
	q := m.issuing.grant.hashes
	for range q.Slots() {
		if err := q.Enter(context.Background()); err != nil {
			panic(err)
		}
	}
	return func() {
		for range q.Slots() {
			q.Leave()
		}
	}
}

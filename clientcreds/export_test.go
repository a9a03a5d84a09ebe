package clientcreds

import "context"

// SecretChecks returns how many client secrets g has hashed.
func SecretChecks(g *Issuer) int64 { return g.checks.Load() }

// HoldSecretChecks takes every hashing slot of g until release is called,
// so that a test can fill the queue behind them.
func HoldSecretChecks(g *Issuer) (release func()) {
	q := g.hashes
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

// Package capabilities holds the capability graph and the policy that
// turns a user's stored capabilities into an effective set. It does no
// I/O: it reads no file, opens no connection and logs nothing.
//
// A [Graph] interns capability names as [Cap] numbers and precomputes
// closures over implications (cycles mean equivalence); a [Set] is an
// immutable bitset, so [Set.Has] is one bit test. A [Policy] adds the
// configured defaults, overrides and guest capabilities and checks
// delegation. [EffectiveCache] is the lookup a request makes, over any
// [Source] of stored capabilities.
//
// What each user was granted is kept by a store, in packages of their
// own: the interfaces in capabilities/store, and the backends
// capabilities/memstore (in memory), capabilities/filestore (a YAML file
// compatible with easy-oauth's caps.yaml) and capabilities/pgstore
// (PostgreSQL). Every store is a [Source].
//
// # Example
//
//	p, err := cfg.Policy() // cfg is the `capabilities:` configuration section
//	cache := capabilities.NewEffectiveCache(p, granted, 0) // granted: a store, or any Source
//	held, err := cache.Effective(ctx, "friend@example.com")
//	announce, _ := p.Graph().Lookup("announce")
//	if held.Has(announce) { ... }
package capabilities

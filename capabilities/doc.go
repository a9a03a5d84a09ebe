// Package capabilities holds the capability graph and the policy that
// turns a user's stored capabilities into an effective set.
//
// A [Graph] interns capability names as [Cap] numbers and precomputes
// closures over implications (cycles mean equivalence); a [Set] is an
// immutable bitset, so [Set.Has] is one bit test. A [Policy] adds the
// configured defaults, overrides and guest capabilities and checks
// delegation. [EffectiveCache] is the lookup a request makes, over any
// [Source] of stored capabilities.
//
// The stores that keep each user's granted capabilities are packages of
// their own: the interfaces in store, the backends memstore, filestore
// (a YAML file compatible with easy-oauth's caps.yaml) and pgstore.
//
// # Example
//
//	p, err := cfg.Policy() // cfg is the `capabilities:` configuration section
//	s, err := filestore.Open("caps.yaml", p.Graph(), filestore.Options{})
//	cache := capabilities.NewEffectiveCache(p, s, 0)
//	held, err := cache.Effective(ctx, "friend@example.com")
//	announce, _ := p.Graph().Lookup("announce")
//	if held.Has(announce) { ... }
package capabilities

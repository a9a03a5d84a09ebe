// Package capabilities holds the capability graph, the policy that turns a
// user's stored capabilities into an effective set, and the stores that keep
// those capabilities.
//
// A [Graph] interns capability names as [Cap] numbers and precomputes
// closures over implications (cycles mean equivalence); a [Set] is an
// immutable bitset, so [Set.Has] is one bit test. A [Policy] adds the
// configured defaults, overrides and guest capabilities and checks
// delegation. A [Store] keeps each user's granted capabilities: [MemoryStore]
// for tests, [FileStore] for a YAML file compatible with easy-oauth's
// caps.yaml. [EffectiveCache] is the lookup a request makes.
//
// # Example
//
//	p, err := cfg.Policy() // cfg is the `capabilities:` configuration section
//	store, err := capabilities.OpenFileStore("caps.yaml", p.Graph(), capabilities.FileStoreOptions{})
//	cache := capabilities.NewEffectiveCache(p, store, 0)
//	held, err := cache.Effective(ctx, "friend@example.com")
//	announce, _ := p.Graph().Lookup("announce")
//	if held.Has(announce) { ... }
package capabilities

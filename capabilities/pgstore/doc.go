// Package pgstore keeps capabilities, token revocations and identity-provider
// grants in PostgreSQL, so that the replicas of an app behind a load balancer
// share one truth. A [Store] is a [store.Store], a
// [store.TokenStore] and a [store.ClientStore] (machine
// clients, in a table of their own; [OpenClients] opens only that table,
// possibly through a role that may only read it, and shares the
// connections of an open Store of the same DSN and schema).
//
// Every replica keeps an in-memory cache: user capabilities are cached per
// user as they are read, and every live revocation and every client is
// held in memory, so that a request never waits for the database when
// nothing changed. Triggers
// on the tables announce each change with NOTIFY; every Store LISTENs on a
// connection of its own and drops the user's cache entry (or adds the
// revocation) as soon as the notification arrives, and bumps Version, so
// a change made by any replica, or by hand with psql, is seen everywhere
// almost at once. When the listening connection is lost, the Store
// reconnects with backoff and then drops its whole cache, since
// notifications may have been missed.
//
// While the database cannot be reached, reads are served from the cache
// for [Options.StaleAfter] after the last moment the store knew it was up
// to date; after that, and for every write, the error wraps
// [store.ErrUnavailable] (an HTTP layer answers 503). Connections
// come back by themselves.
//
// The schema is created, or migrated to [SchemaVersion], by [Open], in one
// transaction under an advisory lock: replicas may start together.
//
// The package registers the "postgres" driver with
// [store.RegisterDriver], so an app selects it with
//
//	import _ "github.com/oauthgate/oauthgate/capabilities/pgstore"
//
// and `store: {driver: postgres, dsn: ...}` in its configuration.
package pgstore

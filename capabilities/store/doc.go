// Package store defines what keeps the state of package auth beyond one
// request: the capabilities granted to users ([Store]), token revocations
// and kept identity-provider grants ([TokenStore]), and the machine
// clients of the client-credentials grant ([ClientStore]), with the errors
// they share ([ErrClosed], [ErrUnavailable], …).
//
// The backends are packages of their own, beside this one:
// capabilities/memstore (in memory), capabilities/filestore (YAML files
// beside the configuration; the default) and capabilities/pgstore
// (PostgreSQL). A backend that opens from a data source name registers a
// [Driver] under a name with [RegisterDriver] when its package is
// initialised, and an app selects it with a blank import and
// `store.driver` in its configuration, as database/sql drivers are
// selected:
//
//	import _ "github.com/oauthgate/oauthgate/capabilities/pgstore" // store: {driver: postgres, dsn: ...}
//
// A store may also be given in Go (auth.Config's CapabilityStore,
// TokenStore and ClientStore). Package storetest is the conformance
// suite every backend passes; a store written elsewhere runs it in its
// own tests.
package store

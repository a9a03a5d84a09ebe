package store

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/oauthgate/oauthgate/capabilities"
)

// Driver opens shared stores from a data source name, such as a
// PostgreSQL connection string. logger receives the stores' background
// events (nil means slog.Default()).
type Driver interface {
	// Open opens the capability store and the token store, which may be
	// one object. Names are checked against g. Closing both results
	// releases everything Open opened.
	Open(ctx context.Context, dsn string, g *capabilities.Graph, logger *slog.Logger) (Store, TokenStore, error)
	// OpenClients opens the store of machine clients alone, for a program
	// that keeps no capabilities (a token issuer, a command line tool).
	OpenClients(ctx context.Context, dsn string, logger *slog.Logger) (ClientStore, error)
	// Ping tells whether Open would reach the data source of dsn,
	// changing nothing there (`oauthgate config check`).
	Ping(ctx context.Context, dsn string) error
}

var (
	driversMu sync.RWMutex
	drivers   = map[string]Driver{}
)

// RegisterDriver makes a store driver available under name (as the
// configuration's `store.driver`). Driver packages call it from init, so
// that an app selects one with a blank import, as database/sql drivers do:
//
//	import _ "github.com/oauthgate/oauthgate/capabilities/pgstore"
//
// It panics if name is empty, d is nil or name is already registered.
func RegisterDriver(name string, d Driver) {
	if name == "" || d == nil {
		panic("store: RegisterDriver needs a name and a driver")
	}
	driversMu.Lock()
	defer driversMu.Unlock()
	if _, dup := drivers[name]; dup {
		panic("store: driver registered twice: " + name)
	}
	drivers[name] = d
}

// LookupDriver returns the driver registered under name.
func LookupDriver(name string) (Driver, bool) {
	driversMu.RLock()
	defer driversMu.RUnlock()
	d, ok := drivers[name]
	return d, ok
}

// Drivers returns the names of the registered drivers, sorted, for error
// messages such as "unknown store driver".
func Drivers() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	names := make([]string, 0, len(drivers))
	for n := range drivers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

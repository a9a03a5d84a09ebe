package capabilities

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
)

// ErrUnavailable is matched (with errors.Is) by the errors of a store whose
// backing service (a database server) cannot be reached: the request may
// succeed later, so an HTTP layer answers 503 Service Unavailable.
var ErrUnavailable = errors.New("capabilities: store unavailable")

// Driver opens a shared store from a data source name, such as a
// PostgreSQL connection string: the capability store and the token store,
// which may be one object. Names are checked against g; logger receives
// the store's background events (nil means slog.Default()). Closing both
// results releases everything the driver opened.
type Driver func(ctx context.Context, dsn string, g *Graph, logger *slog.Logger) (Store, TokenStore, error)

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
		panic("capabilities: RegisterDriver needs a name and a driver")
	}
	driversMu.Lock()
	defer driversMu.Unlock()
	if _, dup := drivers[name]; dup {
		panic("capabilities: store driver registered twice: " + name)
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

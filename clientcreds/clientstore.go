package clientcreds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// openClientStore returns the store of machine clients: the given one,
// else the store driver's (opened on first use), else the clients file
// beside the user file, else memory. owned is what the Issuer closes.
func openClientStore(given store.ClientStore, app *auth.Config, log *slog.Logger, now func() time.Time,
	opened func(store.ClientStore)) (cs store.ClientStore, owned io.Closer, err error) {
	if given != nil {
		return given, nil, nil
	}
	if driver := app.Store.Driver; driver != "" && driver != "file" {
		d, ok := store.LookupDriver(driver)
		if !ok {
			return nil, nil, &auth.ConfigError{Key: "store.driver", Reason: fmt.Sprintf("no store driver %q is registered", driver)}
		}
		dsn := app.Store.DSN
		lazy := &driverClients{opened: opened, open: func(ctx context.Context) (store.ClientStore, error) {
			cs, err := d.OpenClients(ctx, dsn, log)
			if err != nil {
				return nil, fmt.Errorf("clientcreds: opening the %s client store: %w", driver, err)
			}
			return cs, nil
		}}
		return lazy, lazy, nil
	}
	if app.Capabilities.UserFile == "" {
		cs := memstore.NewClientStore()
		return cs, cs, nil
	}
	fs, err := filestore.OpenClientStore(filestore.ClientFileFor(app.Capabilities.UserFile), filestore.Options{Logger: log, Now: now})
	if err != nil {
		return nil, nil, err
	}
	return fs, fs, nil
}

// driverClients is the client store of a store driver (PostgreSQL),
// opened on first use rather than by New: the grant is built before the
// Manager, which then opens the driver's store, creating its tables, and
// the clients share its connections. An open that fails is tried again
// at the next use.
type driverClients struct {
	open   func(context.Context) (store.ClientStore, error)
	opened func(store.ClientStore) // called once, after the first open

	mu     sync.Mutex
	cs     atomic.Pointer[store.ClientStore]
	closed bool
}

func (d *driverClients) get(ctx context.Context) (store.ClientStore, error) {
	if cs := d.cs.Load(); cs != nil {
		return *cs, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if cs := d.cs.Load(); cs != nil {
		return *cs, nil
	}
	if d.closed {
		return nil, store.ErrClosed
	}
	cs, err := d.open(ctx)
	if err != nil {
		return nil, err
	}
	d.cs.Store(&cs)
	if d.opened != nil {
		d.opened(cs)
	}
	return cs, nil
}

func (d *driverClients) Client(ctx context.Context, id string) (store.Client, bool, error) {
	cs, err := d.get(ctx)
	if err != nil {
		return store.Client{}, false, err
	}
	return cs.Client(ctx, id)
}

func (d *driverClients) Clients(ctx context.Context) ([]store.Client, error) {
	cs, err := d.get(ctx)
	if err != nil {
		return nil, err
	}
	return cs.Clients(ctx)
}

func (d *driverClients) PutClient(ctx context.Context, c store.Client) error {
	cs, err := d.get(ctx)
	if err != nil {
		return err
	}
	return cs.PutClient(ctx, c)
}

func (d *driverClients) RemoveClient(ctx context.Context, id string) error {
	cs, err := d.get(ctx)
	if err != nil {
		return err
	}
	return cs.RemoveClient(ctx, id)
}

// ClientsVersion is 0 until the store is open; its own after.
func (d *driverClients) ClientsVersion() uint64 {
	if cs := d.cs.Load(); cs != nil {
		return (*cs).ClientsVersion()
	}
	return 0
}

func (d *driverClients) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if cs := d.cs.Load(); cs != nil {
		return (*cs).Close()
	}
	return nil
}

// ErrClientsReadOnly is matched by the error of a client write through a
// grant whose configuration says store.read_only.
var ErrClientsReadOnly = errors.New("clientcreds: the clients store is read-only here (store.read_only: true); write clients with a configuration whose role may write")

// ReadOnlyClients returns cs with its writes refused with
// [ErrClientsReadOnly] before they reach it, as a store.read_only grant
// uses its store: a clear error rather than the database's permission
// error, and no write at all to a file store.
func ReadOnlyClients(cs store.ClientStore) store.ClientStore { return readOnlyClients{cs} }

type readOnlyClients struct{ store.ClientStore }

func (readOnlyClients) PutClient(context.Context, store.Client) error { return ErrClientsReadOnly }
func (readOnlyClients) RemoveClient(context.Context, string) error    { return ErrClientsReadOnly }

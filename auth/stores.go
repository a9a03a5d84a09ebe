package auth

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// openStores opens the stores the configuration does not provide: through
// the registered store driver when store.driver is not "file", else the
// user file (or memory without one).
func (m *Manager) openStores(ctx context.Context) error {
	c := m.cfg
	m.store, m.tokens = c.CapabilityStore, c.TokenStore
	if c.Store.Driver != "" && c.Store.Driver != "file" && (m.store == nil || m.tokens == nil) {
		return m.openDriverStores(ctx)
	}
	userFile := c.Capabilities.UserFile
	if m.store == nil {
		if userFile == "" {
			m.store = memstore.New(m.graph)
		} else {
			fs, err := filestore.Open(userFile, m.graph, filestore.Options{Logger: m.log})
			if err != nil {
				return err
			}
			m.store = fs
		}
		m.owned = append(m.owned, m.store)
	}
	if m.tokens == nil {
		if userFile == "" {
			m.tokens = memstore.NewTokenStore()
		} else {
			ts, err := filestore.OpenTokenStore(filestore.TokenFileFor(userFile), filestore.Options{Logger: m.log, Now: m.now})
			if err != nil {
				return err
			}
			m.tokens = ts
		}
		m.owned = append(m.owned, m.tokens)
	}
	return nil
}

// openDriverStores opens the stores of store.driver. Drivers register
// themselves when imported, so auth never depends on a database library:
// an app on PostgreSQL imports _ "github.com/oauthgate/oauthgate/capabilities/pgstore".
func (m *Manager) openDriverStores(ctx context.Context) error {
	c := m.cfg
	d, err := c.storeDriver()
	if err != nil {
		return err
	}
	users, tokens, err := d.Open(ctx, c.Store.DSN, m.graph, m.log)
	if err != nil {
		return fmt.Errorf("auth: opening the %s store: %w", c.Store.Driver, err)
	}
	// A driver may return one object for both roles: own each used object
	// once, close what is not used.
	used := map[any]bool{}
	if m.store == nil {
		m.store, used[users] = users, true
	}
	if m.tokens == nil {
		m.tokens, used[tokens] = tokens, true
	}
	for _, c := range []io.Closer{users, tokens} {
		switch {
		case used[c]:
			m.owned = append(m.owned, c)
			delete(used, c)
		case !used[c] && c != io.Closer(m.store) && c != io.Closer(m.tokens):
			_ = c.Close()
		}
	}
	return nil
}

// storeDriver returns the registered driver of store.driver.
func (c *Config) storeDriver() (store.Driver, error) {
	d, ok := store.LookupDriver(c.Store.Driver)
	if !ok {
		reason := fmt.Sprintf("no store driver %q is registered", c.Store.Driver)
		if c.Store.Driver == "postgres" {
			reason += `: import _ "github.com/oauthgate/oauthgate/capabilities/pgstore" in the app`
		}
		return nil, &ConfigError{Key: "store.driver", Reason: reason}
	}
	return d, nil
}

func (m *Manager) closeOwned() error {
	var errs []error
	for _, c := range m.owned {
		if err := c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	m.owned = nil
	return errors.Join(errs...)
}

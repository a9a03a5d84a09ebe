package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
)

// openReadOnly opens the clients of a configuration with store.read_only
// as the app does: the PostgreSQL clients table alone (a SELECT-only role
// suffices; nothing is migrated), or the clients file; writes are
// refused with clientcreds.ErrClientsReadOnly before reaching the store.
func (f *clientStoreFlags) openReadOnly(ctx context.Context, logger *slog.Logger) (store.ClientStore, string, error) {
	cfg := f.loaded.Auth
	if cfg.Store.Driver == pgstore.DriverName {
		c, err := pgstore.OpenClients(ctx, cfg.Store.DSN, pgstore.Options{Schema: f.schema, Logger: logger, ApplicationName: "oauthgate clients"})
		if err != nil {
			return nil, "", err
		}
		return clientcreds.ReadOnlyClients(c), "PostgreSQL schema " + c.Schema() + " (read-only)", nil
	}
	if cfg.Capabilities.UserFile == "" {
		return nil, "", fmt.Errorf("%s: capabilities.user_file is not set; the clients file is kept beside it (or name one with --file)", f.config)
	}
	path := filestore.ClientFileFor(cfg.Capabilities.UserFile)
	s, err := filestore.OpenClientStore(path, filestore.Options{Logger: logger, PollInterval: -1})
	if err != nil {
		return nil, "", err
	}
	return clientcreds.ReadOnlyClients(s), path + " (read-only)", nil
}

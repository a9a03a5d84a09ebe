package pgstore

import (
	"context"
	"log/slog"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// DriverName is the name under which the package registers its
// [store.Driver].
const DriverName = "postgres"

func init() { store.RegisterDriver(DriverName, driver{}) }

// driver opens the stores of a connection string with the default
// [Options] and the given logger.
type driver struct{}

// Open opens one [Store], which is both the capability and the token store.
func (driver) Open(ctx context.Context, dsn string, g *capabilities.Graph, logger *slog.Logger) (store.Store, store.TokenStore, error) {
	s, err := Open(ctx, dsn, g, Options{Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	return s, s, nil
}

// OpenClients opens the clients table alone ([OpenClients]).
func (driver) OpenClients(ctx context.Context, dsn string, logger *slog.Logger) (store.ClientStore, error) {
	c, err := OpenClients(ctx, dsn, Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Ping connects and reads the schema's version ([Ping]).
func (driver) Ping(ctx context.Context, dsn string) error { return Ping(ctx, dsn, Options{}) }

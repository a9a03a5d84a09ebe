package pgstore

import (
	"context"
	"log/slog"

	"github.com/oauthgate/oauthgate/capabilities"
)

// DriverName is the name under which the package registers its
// [capabilities.Driver].
const DriverName = "postgres"

func init() {
	capabilities.RegisterDriver(DriverName, func(ctx context.Context, dsn string, g *capabilities.Graph, logger *slog.Logger) (capabilities.Store, capabilities.TokenStore, error) {
		s, err := Open(ctx, dsn, g, Options{Logger: logger})
		if err != nil {
			return nil, nil, err
		}
		return s, s, nil
	})
}

package pgstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/storetest"
)

func TestDriverIsRegistered(t *testing.T) {
	t.Parallel()
	d, ok := capabilities.LookupDriver(pgstore.DriverName)
	if !ok {
		t.Fatalf("no %q driver registered", pgstore.DriverName)
	}
	// Nothing listens on port 1.
	s, ts, err := d(context.Background(), "postgres://127.0.0.1:1/x?connect_timeout=2", storetest.Graph(t), nil)
	if !errors.Is(err, capabilities.ErrUnavailable) || s != nil || ts != nil {
		t.Fatalf("driver on an unreachable server = %v, %v, %v; want ErrUnavailable", s, ts, err)
	}
}

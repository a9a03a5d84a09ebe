package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// isConnError reports whether err comes from the connection rather than
// from the statement: the server could not be reached, went away, or is
// shutting down. Errors the server reports about a statement are not.
func isConnError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || // connection exception
			pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03" || // shutdown, cannot connect now
			pgErr.Code == "53300" // too many connections
	}
	// Everything else pgx returns without a server error is about the
	// connection: dial errors, EOF, closed connections.
	return true
}

// do runs fn against the pool. A connection error (after a terminated
// backend or a restarted server the pool may hold dead connections) resets
// the pool and runs fn once more: every statement of this package may run
// twice with the same result. The error names op; one that persists wraps
// [store.ErrUnavailable].
func (s *Store) do(ctx context.Context, op string, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("pgstore: %s: %w", op, ctx.Err())
		case !isConnError(err):
			return fmt.Errorf("pgstore: %s: %w", op, err)
		case s.closed.Load():
			return store.ErrClosed
		case attempt > 0:
			return fmt.Errorf("pgstore: %s: %w: %w", op, store.ErrUnavailable, err)
		}
		s.pool.Reset()
	}
}

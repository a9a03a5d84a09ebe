package pgstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Timing of the listening connection.
const (
	// keepAlive is how long the listener waits for a notification before
	// it pings the server, to notice a connection that died silently.
	keepAlive = 5 * time.Second
	// pingTimeout bounds that ping.
	pingTimeout = 3 * time.Second
	// minBackoff and maxBackoff bound the wait between reconnections.
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
	// pruneEvery is how often expired revocations and grants are deleted.
	pruneEvery = time.Minute
)

// subscribe makes conn the listening connection: LISTEN, then (re)load
// what notifications may have missed. Notifications of changes committed
// during the reload are queued on conn and applied afterwards, so nothing
// falls between the two.
func (s *Store) subscribe(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return err
	}
	if !s.clientsOnly {
		r, err := s.loadRevocations(ctx, conn)
		if err != nil {
			return err
		}
		s.revs.Store(r)
		if s.cache != nil {
			s.cache.clear()
		}
	}
	if err := s.reloadClients(ctx, conn); err != nil {
		return err
	}
	s.markSynced()
	s.listening.Store(true)
	s.version.Add(1)
	return nil
}

// listen applies notifications until ctx ends, reconnecting with backoff
// whenever the connection is lost.
func (s *Store) listen(ctx context.Context, conn *pgx.Conn) {
	defer close(s.done)
	backoff := minBackoff
	for {
		if conn == nil {
			var err error
			conn, err = s.reconnect(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.log.Debug("pgstore: reconnection failed", "err", err, "retry_in", backoff)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, maxBackoff)
				continue
			}
			backoff = minBackoff
			s.log.Info("pgstore: reconnected; cache dropped, revocations reloaded")
		}
		if err := s.waitOne(ctx, conn); err != nil {
			s.listening.Store(false)
			conn.Close(context.Background())
			conn = nil
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("pgstore: lost the database connection; serving cached reads while they are fresh, refusing writes",
				"err", err, "stale_after", s.staleAfter)
		}
	}
}

func (s *Store) reconnect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.listenCfg.Copy())
	if err != nil {
		return nil, err
	}
	if err := s.subscribe(ctx, conn); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// waitOne waits for one notification and applies it; when none comes
// within keepAlive, it pings the server instead.
func (s *Store) waitOne(ctx context.Context, conn *pgx.Conn) error {
	wctx, cancel := context.WithTimeout(ctx, keepAlive)
	n, err := conn.WaitForNotification(wctx)
	cancel()
	if err == nil {
		s.markSynced()
		return s.apply(ctx, conn, n.Payload)
	}
	if ctx.Err() != nil || !pgconn.Timeout(err) {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	err = conn.Ping(pctx)
	cancel()
	if err != nil {
		return err
	}
	s.markSynced()
	if now := s.now(); !s.clientsOnly && now.Sub(s.lastPrune) >= pruneEvery {
		s.lastPrune = now
		s.revs.Load().prune(now)
		if _, err := conn.Exec(ctx, s.sql.pruneTokens, now.UTC()); err != nil {
			s.log.Warn("pgstore: pruning expired revocations failed", "err", err)
		}
	}
	return nil
}

// apply acts on one notification payload (see the migrations for their
// forms) and changes Version, unless the change came from this store's
// own write, which already did. An error means the connection cannot be
// trusted any more.
func (s *Store) apply(ctx context.Context, conn *pgx.Conn, payload string) error {
	kind, rest, _ := strings.Cut(payload, ":")
	writer, rest, _ := strings.Cut(rest, ":")
	switch {
	case kind == "c" && writer == s.writer:
		return nil // applied by the write
	case kind == "c":
		return s.refreshClient(ctx, conn, rest)
	case kind == "C":
		return s.reloadClients(ctx, conn)
	case s.clientsOnly:
		return nil // users and revocations are not this store's
	}
	if kind == "U" || kind == "T" || writer != s.writer {
		defer s.version.Add(1)
	}
	switch kind {
	case "u":
		if s.cache != nil {
			s.cache.invalidate(rest)
		}
		return nil
	case "U":
		if s.cache != nil {
			s.cache.clear()
		}
		return nil
	case "r", "s":
		at, key, ok := strings.Cut(rest, ":")
		if us, err := strconv.ParseInt(at, 10, 64); ok && err == nil {
			if kind == "r" {
				s.revs.Load().addID(key, us, s.now())
			} else {
				s.revs.Load().addSubject(key, us)
			}
			return nil
		}
	case "T":
	default:
		s.log.Warn("pgstore: unexpected notification; reloading", "payload", payload)
		if s.cache != nil {
			s.cache.clear()
		}
	}
	r, err := s.loadRevocations(ctx, conn)
	if err != nil {
		return err // reconnecting reloads
	}
	s.revs.Store(r)
	return nil
}

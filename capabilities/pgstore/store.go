package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// Defaults of [Options].
const (
	DefaultSchema          = "oauthgate"
	DefaultStaleAfter      = 30 * time.Second
	DefaultCacheEntries    = 1 << 20
	DefaultApplicationName = "oauthgate"
	// DefaultConnectTimeout bounds each connection attempt when the DSN
	// sets no connect_timeout, so that an unreachable server fails a
	// request instead of hanging it.
	DefaultConnectTimeout = 5 * time.Second
)

// Options tunes a [Store]. The zero value is ready to use.
type Options struct {
	// Logger receives connection losses, reconnections and data that
	// does not load. The default is slog.Default().
	Logger *slog.Logger
	// Schema holds the store's tables; it is created when missing. Apps
	// sharing a database, and tests running in parallel, use one each.
	// A lower-case identifier of at most 48 characters. The default is
	// "oauthgate".
	Schema string
	// StaleAfter is how long cached reads are still served after the
	// store lost its connection to the database (counted from the last
	// moment it knew its cache was up to date). The default is 30s; a
	// negative value serves nothing stale.
	StaleAfter time.Duration
	// CacheEntries bounds the number of users whose capabilities are
	// cached (a full cache drops an eighth of its entries). The default is
	// 1<<20 (about 100 MB at the most); a negative value turns the cache
	// off, so that every Get asks the database.
	CacheEntries int
	// ApplicationName is the application_name of the store's sessions,
	// which names them in pg_stat_activity. The default is the DSN's
	// application_name, or else "oauthgate".
	ApplicationName string
	// Now is the clock that decides staleness and token expiry. The
	// default is time.Now.
	Now func() time.Time
}

// Store is a [store.Store], a [store.TokenStore] and a
// [store.ClientStore] in a PostgreSQL schema. Its Version changes on
// every change of users or revocations, its ClientsVersion on every change
// of clients. Safe for concurrent use.
type Store struct {
	graph      *capabilities.Graph
	pool       *pgxpool.Pool
	listenCfg  *pgx.ConnConfig
	schema     string
	channel    string
	sql        queries
	log        *slog.Logger
	now        func() time.Time
	staleAfter time.Duration

	version atomic.Uint64
	writer  string     // this store's oauthgate.writer (see the migrations)
	cache   *userCache // nil when turned off
	revs    atomic.Pointer[revocations]

	// clientsOnly marks a store opened by OpenClients: no users, no
	// revocations, no migration.
	clientsOnly    bool
	csql           clientQueries
	clients        atomic.Pointer[clientState]
	clientsVersion atomic.Uint64
	clientMu       sync.Mutex // serialises changes of clients
	clientGen      uint64     // counts changes of clients; under clientMu

	// listening is true while the listening connection is up, so that
	// every change reaches the cache; syncedAt (unix ns by s.now) is the
	// last moment that was known to be so.
	listening atomic.Bool
	syncedAt  atomic.Int64
	lastPrune time.Time // listener goroutine only

	// holders counts the open handles on the connections: the Store, and
	// each Clients that shares them; under live's lock. closed is set
	// when the last one is closed, handleClosed when the Store is.
	key          liveKey
	holders      int
	closed       atomic.Bool
	handleClosed atomic.Bool
	closeOnce    sync.Once
	stop         context.CancelFunc
	done         chan struct{}
}

// Open connects to the PostgreSQL server of dsn (a URL or key=value
// connection string, as pgx accepts), creates or migrates the schema, loads
// the live revocations and starts listening for changes. Names are checked
// against g. A server that cannot be reached is an error wrapping
// [store.ErrUnavailable].
func Open(ctx context.Context, dsn string, g *capabilities.Graph, opts Options) (*Store, error) {
	if g == nil {
		return nil, errors.New("pgstore: Open needs a capability graph")
	}
	s, err := open(ctx, dsn, g, opts, false)
	if err != nil {
		return nil, err
	}
	s.share(dsn)
	return s, nil
}

// open opens a Store; with clientsOnly (OpenClients), only its clients.
func open(ctx context.Context, dsn string, g *capabilities.Graph, opts Options, clientsOnly bool) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: dsn: %w", err)
	}
	s := &Store{graph: g, schema: opts.Schema, log: opts.Logger, now: opts.Now, staleAfter: opts.StaleAfter, done: make(chan struct{}),
		clientsOnly: clientsOnly, holders: 1}
	if s.schema == "" {
		s.schema = DefaultSchema
	}
	if err := checkSchema(s.schema); err != nil {
		return nil, err
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("store", "pgstore", "schema", s.schema)
	if s.now == nil {
		s.now = time.Now
	}
	if s.staleAfter == 0 {
		s.staleAfter = DefaultStaleAfter
	}
	switch {
	case clientsOnly:
	case opts.CacheEntries == 0:
		s.cache = newUserCache(DefaultCacheEntries)
	case opts.CacheEntries > 0:
		s.cache = newUserCache(opts.CacheEntries)
	}
	s.channel = "oauthgate:" + s.schema
	s.sql = newQueries(s.schema)
	s.csql = newClientQueries(s.schema)
	s.clients.Store(&clientState{})

	setConnDefaults(cfg.ConnConfig, opts)
	s.listenCfg = cfg.ConnConfig.Copy()

	conn, err := pgx.ConnectConfig(ctx, s.listenCfg.Copy())
	if err != nil {
		return nil, openError(ctx, err)
	}
	if clientsOnly {
		err = s.checkClientsTable(ctx, conn)
	} else {
		err = migrate(ctx, conn, s.schema)
	}
	if err != nil {
		conn.Close(context.Background())
		return nil, openError(ctx, err)
	}
	if err := s.subscribe(ctx, conn); err != nil {
		conn.Close(context.Background())
		return nil, openError(ctx, err)
	}
	// The store bumps Version at once for its own writes: the triggers
	// name the writer in the notifications, so that their echo does not
	// bump it again.
	s.writer = newWriterID()
	cfg.ConnConfig.RuntimeParams["oauthgate.writer"] = s.writer
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		conn.Close(context.Background())
		return nil, openError(ctx, err)
	}
	lctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.lastPrune = s.now()
	go s.listen(lctx, conn)
	return s, nil
}

// setConnDefaults sets what every connection of a store has: its
// application_name and a bounded connect timeout.
func setConnDefaults(cc *pgx.ConnConfig, opts Options) {
	switch {
	case opts.ApplicationName != "":
		cc.RuntimeParams["application_name"] = opts.ApplicationName
	case cc.RuntimeParams["application_name"] == "":
		cc.RuntimeParams["application_name"] = DefaultApplicationName
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = DefaultConnectTimeout
	}
}

func openError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("pgstore: open: %w", ctx.Err())
	}
	if isConnError(err) {
		return fmt.Errorf("pgstore: open: %w: %w", store.ErrUnavailable, err)
	}
	if errors.Is(err, errSchemaTooNew) {
		return err
	}
	return fmt.Errorf("pgstore: open: %w", err)
}

// Schema returns the schema that holds the store's tables.
func (s *Store) Schema() string { return s.schema }

// Version implements [store.Store] and [store.TokenStore]:
// it changes on every write through this store, on every change notified
// by the database, and after every reconnection.
func (s *Store) Version() uint64 { return s.version.Load() }

// Close stops listening and closes the connections (once a [Clients]
// sharing them is closed too, see [OpenClients]). Later calls fail with
// [store.ErrClosed]. Closing twice is harmless, so the same Store may be
// closed as a Store and as a TokenStore.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.handleClosed.Store(true)
		s.release()
	})
	return nil
}

// begin checks what every operation checks first.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.handleClosed.Load() || s.closed.Load() {
		return store.ErrClosed
	}
	return nil
}

// fresh reports whether cached data may be served: the listening
// connection is up, or it was lost less than StaleAfter ago.
func (s *Store) fresh() bool {
	if s.listening.Load() {
		return true
	}
	return s.staleAfter > 0 && s.now().Sub(time.Unix(0, s.syncedAt.Load())) < s.staleAfter
}

// newWriterID returns a random id (hex) that names one store's sessions.
func newWriterID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Store) markSynced() { s.syncedAt.Store(s.now().UnixNano()) }

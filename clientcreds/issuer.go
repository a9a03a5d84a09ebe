package clientcreds

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/internal/clientaddr"
	"github.com/oauthgate/oauthgate/internal/throttle"
)

// Options are what the grant is given from Go besides its configuration.
// The zero value works.
type Options struct {
	// ClientStore keeps machine clients besides those of the
	// configuration; the Issuer does not close it. Default: the store
	// driver's (store.driver, such as PostgreSQL), else the file
	// "<capabilities.user_file>.clients.yaml", else a memory store.
	ClientStore store.ClientStore
	// Logger receives the grant's logs (never a secret). Default
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock of tokens and throttles. Default time.Now.
	Now func() time.Time
}

// Issuer runs the app's own OAuth 2.0 client-credentials grant: it mints
// signed JWT access tokens for machine clients ([Issuer.IssueToken]),
// serves them at its token endpoint and its key set at its JWKS
// ([Issuer.Routes]), and verifies them for the Manager as an
// [auth.MachineIssuer]. Create it with [New]; it is safe for concurrent
// use. Call [Issuer.Close] when done.
type Issuer struct {
	cfg       *GrantConfig
	log       *slog.Logger
	now       func() time.Time
	issuer    string
	static    map[string]store.Client // from the configuration
	store     store.ClientStore
	owned     io.Closer // the store, when New opened it
	keys      *signingKeys
	audiences []string // accepted on this app; nil: the client's
	proxies   clientaddr.Proxies

	// hashes bounds the argon2id computations: GOMAXPROCS at once (each
	// takes ~19 MiB) and a few more waiting; a flood beyond that is
	// refused at once instead of piling up.
	hashes *throttle.Queue
	// failures refuses, before any hash, the pairs and networks that
	// failed too often.
	failures *failureThrottle
	// fullLogged is when the full queue was last logged (Unix seconds).
	fullLogged atomic.Int64

	dummyOnce sync.Once
	dummy     string       // hash checked for unknown clients
	checks    atomic.Int64 // secrets hashed
	closeOnce sync.Once
	closeErr  error
}

// errNotEnabled: New with a configuration that runs no grant.
var errNotEnabled = errors.New("clientcreds: the client-credentials grant is not configured: set clients, clients_file or a key of client_credentials")

// New checks cfg (see [Config.CheckConfig]; a cfg read by auth.LoadConfig
// is checked with the app's settings) and builds the grant: the
// configuration's clients (plaintext secrets hashed now), the client
// store and the signing keys. Put the Issuer in the app's
// [auth.Config.MachineIssuers] before auth.New, so that the Manager
// accepts its tokens and handlers.Mount serves its routes:
//
//	var cc clientcreds.Config
//	cfg, err := auth.LoadConfig("config.yaml", &cc)
//	iss, err := clientcreds.New(ctx, &cc, clientcreds.Options{})
//	defer iss.Close()
//	cfg.MachineIssuers = append(cfg.MachineIssuers, iss)
//	m, err := auth.New(ctx, cfg)
//
// A configuration without clients, clients_file nor any client_credentials
// key runs no grant: New refuses it unless opts.ClientStore is set.
func New(ctx context.Context, cfg *Config, opts Options) (*Issuer, error) {
	if cfg == nil {
		return nil, errors.New("clientcreds: New: nil config")
	}
	c := *cfg
	c.Clients = cloneClients(cfg.Clients)
	if opts.ClientStore != nil && !c.Enabled() {
		c.Grant.TokenTTL = DefaultTokenTTL // store clients only
	}
	if err := c.recheck(); err != nil {
		return nil, err
	}
	if !c.Enabled() {
		return nil, errNotEnabled
	}
	clients := c.Clients
	if c.ClientsFile != "" {
		fromFile, err := LoadClientsFile(c.ClientsFile)
		if err != nil {
			return nil, err
		}
		clients = make(map[string]ClientConfig, len(c.Clients)+len(fromFile))
		for id, cl := range c.Clients {
			clients[id] = cl
		}
		for id, cl := range fromFile {
			if _, dup := clients[id]; dup {
				return nil, &auth.ConfigError{Key: "clients_file", Reason: fmt.Sprintf("client %q is also in clients", id)}
			}
			clients[id] = cl
		}
	}
	g := &Issuer{
		cfg: &c.Grant, log: opts.Logger, now: opts.Now, issuer: c.Grant.Issuer,
		static:    make(map[string]store.Client, len(clients)),
		audiences: slices.Clone([]string(c.Grant.Audiences)),
		proxies:   clientaddr.ParseProxies(c.app.TrustedProxies),
		hashes:    throttle.NewQueue(runtime.GOMAXPROCS(0), c.Throttle.SecretCheckQueue),
		failures:  newFailureThrottle(c.Throttle),
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.now == nil {
		g.now = time.Now
	}
	for _, id := range sortedKeys(clients) {
		cl := clients[id]
		hash := cl.ClientSecret
		if !IsClientSecretHash(hash) {
			if !cl.secretIndirect {
				g.log.Warn("clientcreds: plaintext client secret in the configuration: store an argon2id hash (oauthgate clients hash), "+
					"a ~CRYPT~ value or a ${NAME} reference to the environment", "client_id", id)
			}
			var err error
			if hash, err = HashClientSecret(cl.ClientSecret); err != nil {
				return nil, err
			}
		}
		g.static[id] = store.Client{
			ID: id, SecretHash: hash, Audience: slices.Clone([]string(cl.Audience)), Subject: cl.Sub,
			Scope: slices.Clone([]string(cl.Scope)), Permissions: slices.Clone([]string(cl.Permissions)),
			Roles: slices.Clone([]string(cl.Roles)), Groups: slices.Clone([]string(cl.Groups)), Disabled: cl.Disabled,
		}
	}
	var err error
	if g.store, g.owned, err = openClientStore(opts.ClientStore, c.app, g.log, g.now, g.warnHidden); err != nil {
		return nil, err
	}
	if _, lazy := g.store.(*driverClients); !lazy {
		g.warnHidden(g.store)
	}
	if c.Store.ReadOnly {
		g.store = readOnlyClients{g.store}
	}
	if g.keys, err = loadSigningKeys(g.cfg, func(msg string, args ...any) { g.log.Info(msg, args...) }); err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

// recheck runs CheckConfig again with the app's configuration it was
// given before (none for a Config built in Go and never checked).
func (c *Config) recheck() error { return c.CheckConfig(c.app) }

// Load reads the configuration file at path with [auth.LoadConfig], the
// grant's keys and those of the other sections in the same run, builds
// the Issuer and puts it in the returned configuration's MachineIssuers:
// the app passes the configuration to auth.New. Close the Issuer when
// done.
func Load(ctx context.Context, path string, opts Options, sections ...auth.Section) (*auth.Config, *Issuer, error) {
	var cc Config
	cfg, err := auth.LoadConfig(path, append([]auth.Section{&cc}, sections...)...)
	if err != nil {
		return nil, nil, err
	}
	iss, err := New(ctx, &cc, opts)
	if err != nil {
		return nil, nil, err
	}
	cfg.MachineIssuers = append(cfg.MachineIssuers, iss)
	return cfg, iss, nil
}

// warnHidden logs each stored client that a client of the configuration
// hides.
func (g *Issuer) warnHidden(cs store.ClientStore) {
	stored, err := cs.Clients(context.Background())
	if err != nil {
		return
	}
	for _, sc := range stored {
		if _, ok := g.static[sc.ID]; ok {
			g.log.Warn("clientcreds: a client of the configuration hides the stored client of the same id", "client_id", sc.ID)
		}
	}
}

// Close closes the client store that New opened (not one given in
// Options).
func (g *Issuer) Close() error {
	g.closeOnce.Do(func() {
		if g.owned != nil {
			g.closeErr = g.owned.Close()
		}
	})
	return g.closeErr
}

// ClientStore returns the store of machine clients. Clients of the
// configuration are not in it.
func (g *Issuer) ClientStore() store.ClientStore { return g.store }

// JWKS returns the JSON Web Key Set of the tokens (current and previous
// public keys).
func (g *Issuer) JWKS() ([]byte, error) {
	ring, err := g.keys.get()
	if err != nil {
		return nil, err
	}
	return ring.jwks, nil
}

// client returns the client of this id: the configuration's, else the
// store's.
func (g *Issuer) client(ctx context.Context, id string) (store.Client, bool, error) {
	if c, ok := g.static[id]; ok {
		return c, true, nil
	}
	return g.store.Client(ctx, id)
}

func cloneClients(m map[string]ClientConfig) map[string]ClientConfig {
	if m == nil {
		return nil
	}
	out := make(map[string]ClientConfig, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

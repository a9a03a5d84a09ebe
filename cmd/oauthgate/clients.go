package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/clientcreds"
)

// clientsCommands are the subcommands of "oauthgate clients".
var clientsCommands = map[string]command{}

func init() {
	register(command{
		name:    "clients",
		summary: "manage machine clients (client-credentials grant)",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return runGroup(ctx, "clients", clientsCommands, args, stdout, stderr)
		},
	})
	clientsCommands["add"] = command{name: "clients add", summary: "create a client with a random secret, printed once", run: runClientsAdd}
	clientsCommands["list"] = command{name: "clients list", summary: "list the clients (never their secrets)", run: runClientsList}
	clientsCommands["rotate-secret"] = command{name: "clients rotate-secret", summary: "give a client a new random secret, printed once", run: runClientsRotate}
	clientsCommands["remove"] = command{name: "clients remove", summary: "delete a client; its tokens stop working", run: runClientsRemove}
	for _, disabled := range []bool{true, false} {
		name, summary := "enable", "let a disabled client get tokens again"
		if disabled {
			name, summary = "disable", "refuse a client's token requests and its tokens"
		}
		clientsCommands[name] = command{name: "clients " + name, summary: summary,
			run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
				return runClientsSetDisabled(ctx, name, disabled, args, stdout, stderr)
			}}
	}
}

// clientsWhere explains, in every store command's usage, which store the
// flags select.
const clientsWhere = `
The store is the one the configuration names: with store.driver postgres,
the clients table of its PostgreSQL schema (--schema); otherwise the file
<capabilities.user_file>.clients.yaml beside the user file. --file names a
clients file directly instead (simple_oauth_server's format, hashed
secrets). Only argon2id hashes of secrets are stored.`

// clientStoreFlags select the store of a clients command.
type clientStoreFlags struct {
	config, file, schema string
	// configured holds the ids of the configuration's clients: key, set by
	// open; the app lets each hide a stored client of the same id.
	configured map[string]bool
	// loaded is the configuration, read by open or load; nil with --file.
	loaded *loadedConfig
}

func (f *clientStoreFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "configuration `FILE` naming the store")
	fs.StringVar(&f.file, "file", "", "clients `FILE` to use instead of the configuration's store")
	fs.StringVar(&f.schema, "schema", pgstore.DefaultSchema, "PostgreSQL schema holding the clients table (store.driver postgres)")
}

// check returns a usage problem of the flags, or "".
func (f *clientStoreFlags) check() string {
	switch {
	case f.config == "" && f.file == "":
		return "missing --config FILE (or --file FILE)"
	case f.config != "" && f.file != "":
		return "give --config or --file, not both"
	}
	return ""
}

// open opens the store the flags select. Polling is off: the command is
// short-lived. Logs go to stderr (they never hold a secret).
func (f *clientStoreFlags) open(ctx context.Context, stderr io.Writer) (store.ClientStore, string, error) {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	path := f.file
	if path == "" {
		if err := f.load(); err != nil {
			return nil, "", err
		}
		cfg := f.loaded.Auth
		if f.loaded.Clients.Store.ReadOnly {
			return f.openReadOnly(ctx, logger)
		}
		if cfg.Store.Driver == pgstore.DriverName {
			policy, err := cfg.Capabilities.Policy()
			if err != nil {
				return nil, "", fmt.Errorf("%s: %w", f.config, err)
			}
			s, err := pgstore.Open(ctx, cfg.Store.DSN, policy.Graph(), pgstore.Options{Schema: f.schema, Logger: logger, ApplicationName: "oauthgate clients"})
			if err != nil {
				return nil, "", err
			}
			return s, "PostgreSQL schema " + s.Schema(), nil
		}
		if cfg.Capabilities.UserFile == "" {
			return nil, "", fmt.Errorf("%s: capabilities.user_file is not set; the clients file is kept beside it (or name one with --file)", f.config)
		}
		path = filestore.ClientFileFor(cfg.Capabilities.UserFile)
	}
	s, err := filestore.OpenClientStore(path, filestore.Options{Logger: logger, PollInterval: -1})
	if err != nil {
		return nil, "", err
	}
	return s, path, nil
}

// load reads the configuration of --config, once.
func (f *clientStoreFlags) load() error {
	if f.loaded != nil || f.config == "" {
		return nil
	}
	loaded, err := loadSections(f.config)
	if err != nil {
		return err
	}
	f.loaded = loaded
	f.configured = make(map[string]bool, len(loaded.Clients.Clients))
	for id := range loaded.Clients.Clients {
		f.configured[id] = true
	}
	return nil
}

// grantOff explains why the configuration's app would ignore a stored
// client (it does not run the client-credentials grant) and which key
// turns the grant on, or returns "". With --file there is no
// configuration to ask.
func (f *clientStoreFlags) grantOff() string {
	if f.loaded == nil || f.loaded.Clients.Enabled() {
		return ""
	}
	key := "client_credentials:\n  token_ttl: 1h        # any key of client_credentials turns the grant on"
	if f.loaded.Auth.BaseURL == "" {
		key = "client_credentials:\n  issuer: https://app.example.com/   # the app's external URL; base_url is empty"
	}
	return fmt.Sprintf("the client-credentials grant is off in %s (no clients, clients_file nor client_credentials key), "+
		"so the app would answer this client's token requests with unsupported_grant_type; turn it on first, for instance:\n%s",
		f.config, key)
}

// storeError adds advice to the error of a write refused because the
// clients file does not load.
func storeError(err error, where string) error {
	if errors.Is(err, filestore.ErrInvalidClientFile) {
		return fmt.Errorf("%w; fix %s first", err, where)
	}
	return err
}

// newClientSecret returns a random secret and its argon2id hash.
func newClientSecret() (secret, hash string, err error) { return clientcreds.NewClientSecret() }

// newClientID returns a random client id (16 bytes, hex).
func newClientID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// printCredentials prints a new secret, the only time it is shown.
func printCredentials(stdout, stderr io.Writer, id, secret string, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]string{"client_id": id, "client_secret": secret})
	}
	if _, err := fmt.Fprintf(stdout, "client_id:     %s\nclient_secret: %s\n", id, secret); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "The secret is shown only now: only its hash is stored. Keep it in a secret manager.")
	return nil
}

// listFlag collects a comma-separated list flag; it may be repeated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	*l = append(*l, splitList(s)...)
	return nil
}

// scopeFlag collects scopes separated by spaces or commas; it may be
// repeated.
type scopeFlag []string

func (l *scopeFlag) String() string { return strings.Join(*l, " ") }
func (l *scopeFlag) Set(s string) error {
	*l = append(*l, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })...)
	return nil
}

func runClientsAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("clients add", "clients add (--config FILE | --file FILE) [--id ID] [--scope S] [--audience A] [--sub S] [--permissions P] [--roles R] [--groups G] [--json]", `
Creates a machine client for the client-credentials grant and prints its
client_id and a new random secret (32 bytes, base64url). The secret is shown
this once: only its argon2id hash is stored, so keep it in a secret manager
right away. Without --id the id is random (32 hex digits). An existing id is
an error (see rotate-secret), and so is an id under the configuration's
clients:, which the app would use instead of the stored client. With
--config, a configuration whose app does not run the client-credentials
grant (no clients, clients_file nor client_credentials key) is refused: the
app would ignore the client; the error names the key to add.

--scope takes scopes separated by spaces or commas; --audience,
--permissions, --roles and --groups take comma-separated lists; each flag may
be repeated. The first audience is the default of a token request naming
none; --sub is the tokens' sub claim (default: the id).`+"\n"+clientsWhere)
	var where clientStoreFlags
	where.register(fs)
	id := fs.String("id", "", "client `ID` (default: random)")
	sub := fs.String("sub", "", "sub claim of the client's tokens (default: the id)")
	var scope scopeFlag
	var audience, permissions, roles, groups listFlag
	fs.Var(&scope, "scope", "`scopes` the client may ask for")
	fs.Var(&audience, "audience", "`audiences` the client may ask for")
	fs.Var(&permissions, "permissions", "`permissions` copied into its tokens")
	fs.Var(&roles, "roles", "`roles` copied into its tokens")
	fs.Var(&groups, "groups", "`groups` copied into its tokens")
	asJSON := fs.Bool("json", false, `print {"client_id", "client_secret"} as JSON`)
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(fs, "unexpected argument %q", rest[0])
	}
	if msg := where.check(); msg != "" {
		return usageError(fs, "%s", msg)
	}
	if *id == "" {
		if *id, err = newClientID(); err != nil {
			return err
		}
	}
	secret, hash, err := newClientSecret()
	if err != nil {
		return err
	}
	c := store.Client{ID: *id, SecretHash: hash, Subject: *sub, Scope: scope, Audience: audience,
		Permissions: permissions, Roles: roles, Groups: groups}
	if err := c.Validate(); err != nil {
		return usageError(fs, "%v", err)
	}
	if err := where.load(); err != nil {
		return err
	}
	if why := where.grantOff(); why != "" {
		return errors.New(why)
	}
	s, loc, err := where.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	if where.configured[c.ID] {
		return fmt.Errorf("client %q is under clients: in %s, which the app uses instead of a stored one: its secret would never work; pick another --id", c.ID, where.config)
	}
	if _, ok, err := s.Client(ctx, c.ID); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("client %q exists in %s; use `oauthgate clients rotate-secret` or remove it first", c.ID, loc)
	}
	if err := s.PutClient(ctx, c); err != nil {
		return storeError(err, loc)
	}
	return printCredentials(stdout, stderr, c.ID, secret, *asJSON)
}

// clientView is a client as list prints it: everything but the hash.
type clientView struct {
	ID          string    `json:"client_id"`
	Disabled    bool      `json:"disabled"`
	Sub         string    `json:"sub"`
	Audience    []string  `json:"audience"`
	Scope       string    `json:"scope"`
	Permissions []string  `json:"permissions"`
	Roles       []string  `json:"roles"`
	Groups      []string  `json:"groups"`
	Created     time.Time `json:"created,omitzero"`
	Updated     time.Time `json:"updated,omitzero"`
}

func viewOf(c store.Client) clientView {
	nonNil := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	return clientView{ID: c.ID, Disabled: c.Disabled, Sub: c.Sub(), Audience: nonNil(c.Audience), Scope: strings.Join(c.Scope, " "),
		Permissions: nonNil(c.Permissions), Roles: nonNil(c.Roles), Groups: nonNil(c.Groups), Created: c.Created, Updated: c.Updated}
}

func runClientsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("clients list", "clients list (--config FILE | --file FILE) [--json] [ID]", `
Prints the clients sorted by id, one a line: id, state (enabled or
disabled), sub, audiences, scope, permissions, roles, groups and when it was
last updated; with ID, only that client. Secrets and their hashes are never
shown. --json prints a list of objects.`+"\n"+clientsWhere)
	var where clientStoreFlags
	where.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return usageError(fs, "unexpected argument %q", rest[1])
	}
	if msg := where.check(); msg != "" {
		return usageError(fs, "%s", msg)
	}
	s, loc, err := where.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	var clients []store.Client
	if len(rest) == 1 {
		c, ok, err := s.Client(ctx, rest[0])
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no client %q in %s", rest[0], loc)
		}
		clients = []store.Client{c}
	} else if clients, err = s.Clients(ctx); err != nil {
		return err
	}
	views := make([]clientView, len(clients))
	for i, c := range clients {
		views[i] = viewOf(c)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(views)
	}
	if len(views) == 0 {
		fmt.Fprintf(stderr, "no clients in %s\n", loc)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tSUB\tAUDIENCE\tSCOPE\tPERMISSIONS\tROLES\tGROUPS\tUPDATED")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, v := range views {
		state := "enabled"
		if v.Disabled {
			state = "disabled"
		}
		updated := "-"
		if !v.Updated.IsZero() {
			updated = v.Updated.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, state, v.Sub, dash(strings.Join(v.Audience, ",")), dash(v.Scope),
			dash(strings.Join(v.Permissions, ",")), dash(strings.Join(v.Roles, ",")), dash(strings.Join(v.Groups, ",")), updated)
	}
	return tw.Flush()
}

// changeClient runs change on the client id of the store the flags
// select and stores the result.
func changeClient(ctx context.Context, where *clientStoreFlags, id string, stderr io.Writer, change func(*store.Client) error) error {
	s, loc, err := where.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	c, ok, err := s.Client(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no client %q in %s", id, loc)
	}
	if err := change(&c); err != nil {
		return err
	}
	return storeError(s.PutClient(ctx, c), loc)
}

// oneID parses a command taking exactly one client id.
func oneID(fs *flag.FlagSet, where *clientStoreFlags, args []string, stdout, stderr io.Writer) (string, error) {
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return "", err
	}
	switch {
	case len(rest) == 0:
		return "", usageError(fs, "missing ID")
	case len(rest) > 1:
		return "", usageError(fs, "unexpected argument %q", rest[1])
	case rest[0] == "":
		return "", usageError(fs, "empty ID")
	}
	if msg := where.check(); msg != "" {
		return "", usageError(fs, "%s", msg)
	}
	return rest[0], nil
}

func runClientsSetDisabled(ctx context.Context, name string, disabled bool, args []string, stdout, stderr io.Writer) error {
	about := `
Disables the client: its token requests are refused, and the tokens it
already holds are refused too once the app sees the change (within its
revocation window: at once in this process, within a second on other
replicas and processes). enable undoes it; the secret is unchanged.`
	if !disabled {
		about = `
Enables a disabled client again, with its secret unchanged.`
	}
	fs := newCommandFlags("clients "+name, "clients "+name+" (--config FILE | --file FILE) ID", about+"\n"+clientsWhere)
	var where clientStoreFlags
	where.register(fs)
	id, err := oneID(fs, &where, args, stdout, stderr)
	if err != nil {
		return err
	}
	if err := changeClient(ctx, &where, id, stderr, func(c *store.Client) error {
		c.Disabled = disabled
		return nil
	}); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s: %sd\n", id, name)
	return err
}

func runClientsRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("clients rotate-secret", "clients rotate-secret (--config FILE | --file FILE) [--json] ID", `
Gives the client a new random secret and prints it, this once; only its
hash is stored. The old secret stops working at once: update the client's
deployment with the new one. Tokens already issued stay valid until they
expire (disable the client to stop them).`+"\n"+clientsWhere)
	var where clientStoreFlags
	where.register(fs)
	asJSON := fs.Bool("json", false, `print {"client_id", "client_secret"} as JSON`)
	id, err := oneID(fs, &where, args, stdout, stderr)
	if err != nil {
		return err
	}
	secret, hash, err := newClientSecret()
	if err != nil {
		return err
	}
	if err := changeClient(ctx, &where, id, stderr, func(c *store.Client) error {
		c.SecretHash = hash
		return nil
	}); err != nil {
		return err
	}
	return printCredentials(stdout, stderr, id, secret, *asJSON)
}

func runClientsRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("clients remove", "clients remove (--config FILE | --file FILE) ID", `
Deletes the client: its token requests are refused, and so are the tokens it
already holds once the app sees the change (within its revocation window).`+"\n"+clientsWhere)
	var where clientStoreFlags
	where.register(fs)
	id, err := oneID(fs, &where, args, stdout, stderr)
	if err != nil {
		return err
	}
	s, loc, err := where.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.RemoveClient(ctx, id); err != nil {
		if errors.Is(err, store.ErrClientNotFound) {
			return fmt.Errorf("no client %q in %s", id, loc)
		}
		return storeError(err, loc)
	}
	_, err = fmt.Fprintf(stdout, "%s: removed\n", id)
	return err
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// capsCommands are the subcommands of "oauthgate caps". Other files add
// theirs in their own init, e.g. capsCommands["import"] = command{...}.
var capsCommands = map[string]command{}

func init() {
	register(command{
		name:    "caps",
		summary: "list and edit the capabilities stored for users",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return runGroup(ctx, "caps", capsCommands, args, stdout, stderr)
		},
	})
	capsCommands["list"] = command{name: "caps list", summary: "print the stored capabilities of one user or of all", run: runCapsList}
	for _, op := range []capsEdit{capsAdd, capsRemove, capsSet} {
		capsCommands[op.name] = command{name: "caps " + op.name, summary: op.summary, run: op.run}
	}
}

// openCapsStore opens the capability store of the configuration at path:
// the user file through filestore.Store (edits validated, locked and
// atomic; polling off, the command is short-lived), or the store of
// store.driver through its registered driver, as the app opens it. where
// names the store for messages.
func openCapsStore(ctx context.Context, path string, stderr io.Writer) (s store.Store, where string, err error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, "", err
	}
	policy, err := cfg.Capabilities.Policy()
	if err != nil {
		return nil, "", err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if cfg.Store.Driver != "file" {
		d, ok := store.LookupDriver(cfg.Store.Driver)
		if !ok {
			return nil, "", fmt.Errorf("%s: store.driver: no driver %q in this program (it has %s)", path, cfg.Store.Driver, strings.Join(store.Drivers(), ", "))
		}
		users, tokens, err := d.Open(ctx, cfg.Store.DSN, policy.Graph(), logger)
		if err != nil {
			return nil, "", err
		}
		if io.Closer(tokens) != io.Closer(users) {
			_ = tokens.Close() // only the capabilities are edited
		}
		return users, "the " + cfg.Store.Driver + " store of " + path, nil
	}
	if cfg.Capabilities.UserFile == "" {
		return nil, "", fmt.Errorf("%s: capabilities.user_file is not set (nor a store.driver)", path)
	}
	fs, err := filestore.Open(cfg.Capabilities.UserFile, policy.Graph(), filestore.Options{
		Logger:       logger,
		PollInterval: -1,
	})
	if err != nil {
		return nil, "", err
	}
	return fs, fs.Path(), nil
}

func runCapsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("caps list", "caps list --config FILE [--json] [EMAIL]", `
Prints the capabilities stored in the configuration's store (the user file,
or the PostgreSQL store of store.driver postgres), one user a line
("email: cap, cap"), sorted by email; with EMAIL, only that user's. These
are the stored capabilities, without the configuration's defaults and
overrides or the graph's implications. --json prints an object mapping each
email to its list.`)
	path := fs.String("config", "", "configuration `FILE` (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 1:
		return usageError(fs, "unexpected argument %q", rest[1])
	case *path == "":
		return usageError(fs, "missing --config FILE")
	}
	var email string
	if len(rest) == 1 {
		if email, err = emailaddr.Parse(rest[0]); err != nil {
			return usageError(fs, "EMAIL: %v", err)
		}
	}
	s, _, err := openCapsStore(ctx, *path, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	var users map[string][]string
	if email != "" {
		caps, err := s.Get(ctx, email)
		if err != nil {
			return err
		}
		users = map[string][]string{email: caps}
	} else if users, err = s.List(ctx); err != nil {
		return err
	}
	return printUsers(stdout, users, *asJSON)
}

// printUsers prints users sorted by email, as text or JSON.
func printUsers(w io.Writer, users map[string][]string, asJSON bool) error {
	if asJSON {
		out := make(map[string][]string, len(users))
		for email, caps := range users {
			if caps == nil {
				caps = []string{}
			}
			out[email] = caps
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out) // maps are encoded with sorted keys
	}
	emails := make([]string, 0, len(users))
	for e := range users {
		emails = append(emails, e)
	}
	sort.Strings(emails)
	for _, e := range emails {
		line := e + ":"
		if len(users[e]) > 0 {
			line += " " + strings.Join(users[e], ", ")
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// capsEdit is one of the editing subcommands: add, remove, set.
type capsEdit struct {
	name, summary, about string
	// minCaps is how many capabilities the command needs at least.
	minCaps int
	apply   func(ctx context.Context, s store.Store, email string, caps []string) ([]string, error)
}

var (
	capsAdd = capsEdit{
		name: "add", summary: "grant capabilities to a user", minCaps: 1,
		about: "Grants the capabilities to EMAIL (a user, or a name@service account).",
		apply: func(ctx context.Context, s store.Store, email string, caps []string) ([]string, error) {
			return s.Add(ctx, email, caps...)
		},
	}
	capsRemove = capsEdit{
		name: "remove", summary: "take capabilities from a user", minCaps: 1,
		about: "Takes the capabilities from EMAIL. Service tokens lose them at once.",
		apply: func(ctx context.Context, s store.Store, email string, caps []string) ([]string, error) {
			return s.Remove(ctx, email, caps...)
		},
	}
	capsSet = capsEdit{
		name: "set", summary: "replace a user's capabilities", minCaps: 0,
		about: "Replaces the capabilities of EMAIL with the ones given (none: the user\nkeeps no capability).",
		apply: func(ctx context.Context, s store.Store, email string, caps []string) ([]string, error) {
			return s.Set(ctx, email, caps)
		},
	}
)

func (op capsEdit) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	synopsis := fmt.Sprintf("caps %s --config FILE EMAIL CAP...", op.name)
	if op.minCaps == 0 {
		synopsis = fmt.Sprintf("caps %s --config FILE EMAIL [CAP...]", op.name)
	}
	fs := newCommandFlags("caps "+op.name, synopsis, op.about+`
Capabilities may also be given comma-separated. The configuration's store
(the user file, or the PostgreSQL store of store.driver postgres) is changed
as the app changes it: names are checked against the graph, the write is
atomic and locked against other writers. Prints the user's resulting
capabilities.`)
	path := fs.String("config", "", "configuration `FILE` (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if *path == "" {
		return usageError(fs, "missing --config FILE")
	}
	if len(rest) == 0 {
		return usageError(fs, "missing EMAIL")
	}
	email, err := emailaddr.Parse(rest[0])
	if err != nil {
		return usageError(fs, "EMAIL: %v", err)
	}
	var caps []string
	for _, a := range rest[1:] {
		caps = append(caps, splitList(a)...)
	}
	if len(caps) < op.minCaps {
		return usageError(fs, "missing CAP")
	}
	s, where, err := openCapsStore(ctx, *path, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	got, err := op.apply(ctx, s, email, caps)
	if err != nil {
		if errors.Is(err, filestore.ErrInvalidUserFile) {
			return fmt.Errorf("%w; fix %s first", err, where)
		}
		return err
	}
	return printUsers(stdout, map[string][]string{email: got}, *asJSON)
}

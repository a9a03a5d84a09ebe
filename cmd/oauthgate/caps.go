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

// openUserFile opens the user file of the configuration at path through
// filestore.Store, so that edits are validated, locked and atomic.
// Polling is off: the command is short-lived.
func openUserFile(path string, stderr io.Writer) (*filestore.Store, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Store.Driver == "postgres":
		return nil, fmt.Errorf("%s keeps capabilities in PostgreSQL (store.driver), not in a user file", path)
	case cfg.Capabilities.UserFile == "":
		return nil, fmt.Errorf("%s: capabilities.user_file is not set", path)
	}
	policy, err := cfg.Capabilities.Policy()
	if err != nil {
		return nil, err
	}
	return filestore.Open(cfg.Capabilities.UserFile, policy.Graph(), filestore.Options{
		Logger:       slog.New(slog.NewTextHandler(stderr, nil)),
		PollInterval: -1,
	})
}

func runCapsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("caps list", "caps list --config FILE [--json] [EMAIL]", `
Prints the capabilities stored in the user file of the configuration, one
user a line ("email: cap, cap"), sorted by email; with EMAIL, only that
user's. These are the stored capabilities, without the configuration's
defaults and overrides or the graph's implications. --json prints an object
mapping each email to its list.`)
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
	store, err := openUserFile(*path, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	var users map[string][]string
	if email != "" {
		caps, err := store.Get(ctx, email)
		if err != nil {
			return err
		}
		users = map[string][]string{email: caps}
	} else if users, err = store.List(ctx); err != nil {
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
	apply   func(ctx context.Context, s *filestore.Store, email string, caps []string) ([]string, error)
}

var (
	capsAdd = capsEdit{
		name: "add", summary: "grant capabilities to a user", minCaps: 1,
		about: "Grants the capabilities to EMAIL (a user, or a name@service account).",
		apply: func(ctx context.Context, s *filestore.Store, email string, caps []string) ([]string, error) {
			return s.Add(ctx, email, caps...)
		},
	}
	capsRemove = capsEdit{
		name: "remove", summary: "take capabilities from a user", minCaps: 1,
		about: "Takes the capabilities from EMAIL. Service tokens lose them at once.",
		apply: func(ctx context.Context, s *filestore.Store, email string, caps []string) ([]string, error) {
			return s.Remove(ctx, email, caps...)
		},
	}
	capsSet = capsEdit{
		name: "set", summary: "replace a user's capabilities", minCaps: 0,
		about: "Replaces the capabilities of EMAIL with the ones given (none: the user\nkeeps no capability).",
		apply: func(ctx context.Context, s *filestore.Store, email string, caps []string) ([]string, error) {
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
Capabilities may also be given comma-separated. The user file is changed
through the store: names are checked against the graph, the write is atomic
and locked against other writers. Prints the user's resulting capabilities.`)
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
	store, err := openUserFile(*path, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	got, err := op.apply(ctx, store, email, caps)
	if err != nil {
		if errors.Is(err, filestore.ErrInvalidUserFile) {
			return fmt.Errorf("%w; fix %s first", err, store.Path())
		}
		return err
	}
	return printUsers(stdout, map[string][]string{email: got}, *asJSON)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/internal/atomicfile"
)

func init() {
	capsCommands["import"] = command{
		name:    "caps import",
		summary: "copy a user file (caps.yaml) into a PostgreSQL store",
		run:     runCapsImport,
	}
	capsCommands["export"] = command{
		name:    "caps export",
		summary: "write the users of a PostgreSQL store as a user file",
		run:     runCapsExport,
	}
}

// pgFlags are the flags shared by import and export.
type pgFlags struct {
	dsn, config, schema string
}

func (f *pgFlags) register(fs interface {
	StringVar(p *string, name, value, usage string)
}) {
	fs.StringVar(&f.dsn, "dsn", "", "PostgreSQL connection string (default: the config's store.dsn)")
	fs.StringVar(&f.config, "config", "", "the app's configuration file, whose capabilities: section defines the graph (required)")
	fs.StringVar(&f.schema, "schema", pgstore.DefaultSchema, "schema holding the store's tables")
}

// load reads the app's configuration file (see auth.LoadConfig: ${VAR}
// and ~CRYPT~ values work) and returns its graph, the DSN (--dsn, else
// store.dsn) and the configured user file (resolved, or "").
func (f *pgFlags) load() (*capabilities.Graph, string, string, error) {
	if f.config == "" {
		return nil, "", "", errors.New("--config is required: the graph checks every capability")
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return nil, "", "", err
	}
	p, err := cfg.Capabilities.Policy()
	if err != nil {
		return nil, "", "", fmt.Errorf("%s: %w", f.config, err)
	}
	dsn := f.dsn
	if dsn == "" {
		if cfg.Store.Driver != pgstore.DriverName {
			return nil, "", "", fmt.Errorf("%s: store.driver is %q, not %q: pass --dsn", f.config, cfg.Store.Driver, pgstore.DriverName)
		}
		dsn = cfg.Store.DSN
	}
	return p.Graph(), dsn, cfg.Capabilities.UserFile, nil
}

func (f *pgFlags) open(ctx context.Context, g *capabilities.Graph, dsn string, stderr io.Writer) (*pgstore.Store, error) {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return pgstore.Open(ctx, dsn, g, pgstore.Options{Schema: f.schema, Logger: logger, ApplicationName: "oauthgate caps"})
}

func runCapsImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("caps import", "caps import --config FILE [--dsn DSN] [--replace] [caps.yaml]", `
Writes every user of the user file (default: the config's
capabilities.user_file) into the PostgreSQL store, in one transaction; each
listed user gets exactly the listed capabilities.`)
	var f pgFlags
	f.register(fs)
	replace := fs.Bool("replace", false, "delete the stored users that the file does not list")
	pos, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError(fs, "unexpected argument %q", pos[1])
	}
	g, dsn, file, err := f.load()
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		file = pos[0]
	}
	if file == "" {
		return fmt.Errorf("no user file: name one, or set capabilities.user_file in %s", f.config)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	users, err := filestore.DecodeUserFile(data, g, file)
	if err != nil {
		return err
	}
	s, err := f.open(ctx, g, dsn, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	changed, err := s.Import(ctx, users, *replace)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d users from %s into schema %s (%d rows changed)\n", len(users), file, s.Schema(), changed)
	return nil
}

func runCapsExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("caps export", "caps export --config FILE [--dsn DSN] [file]", `
Writes the users of the PostgreSQL store as a user file (caps.yaml format)
to file, replacing it atomically, or to standard output.`)
	var f pgFlags
	f.register(fs)
	pos, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError(fs, "unexpected argument %q", pos[1])
	}
	g, dsn, _, err := f.load()
	if err != nil {
		return err
	}
	s, err := f.open(ctx, g, dsn, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	users, err := s.List(ctx)
	if err != nil {
		return err
	}
	data, err := filestore.EncodeUserFile(users)
	if err != nil {
		return err
	}
	if len(pos) == 0 || pos[0] == "-" {
		_, err = stdout.Write(data)
		return err
	}
	return atomicfile.Write(pos[0], data, 0o644) // a crash leaves the old file or the new one
}

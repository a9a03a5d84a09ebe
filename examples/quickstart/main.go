// Command quickstart is oauthgate's demo: a small web app with public,
// logged-in, capability-protected and admin pages, and an embedded mock
// identity provider whose login page offers demo users.
//
//	go run ./examples/quickstart            # then open the printed URL
//	go run ./examples/quickstart --config config.yaml   # a real provider
//
// Flags: --addr (default 127.0.0.1:8000), --idp-addr (the mock provider,
// default a free port), --dir (the development folder, default
// .oauthgate-dev: the secret key, capabilities.yaml, users.yaml), --config.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	err := run(os.Args[1:], os.Stdout)
	switch {
	case errors.Is(err, errUsage):
		os.Exit(2) // the reason and the usage are printed
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// errUsage is a bad command line, whose reason and usage went to stderr.
var errUsage = errors.New("quickstart: bad command line")

// run runs the demo until SIGINT or SIGTERM. -h and --help print the
// usage to out and return nil.
func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./examples/quickstart [flags]\n\n"+
			"The oauthgate demo: an app and a mock identity provider offering demo users.\n"+
			"With --config, the app logs in with the provider that file names instead.\n\nflags:\n")
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:8000", "address of the app")
	idpAddr := fs.String("idp-addr", "127.0.0.1:0", "address of the embedded mock identity provider")
	dir := fs.String("dir", ".oauthgate-dev", "development folder: secret key, capabilities and users files")
	config := fs.String("config", "", "an oauthgate config.yaml naming a real identity provider (no mock provider)")
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, err = out.Write(usage.Bytes())
			return err
		}
		os.Stderr.Write(usage.Bytes())
		return errUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("quickstart: unexpected argument %q", fs.Arg(0))
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("quickstart: %s is already in use (is another quickstart running?); choose another address with --addr", *addr)
		}
		return fmt.Errorf("quickstart: %w", err)
	}
	defer ln.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	app, err := newApp(ctx, appOptions{
		Dir:        *dir,
		BaseURL:    browserURL(ln.Addr()),
		IdPAddr:    *idpAddr,
		ConfigFile: *config,
		Logger:     logger,
	})
	if err != nil {
		return err
	}
	defer app.Close()

	srv := &http.Server{
		Handler:           app.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if app.IdP != nil {
		fmt.Fprintf(out, "mock identity provider: %s (test use only)\n", app.IdP.URL)
		fmt.Fprintf(out, "development files:      %s\n", *dir)
	}
	fmt.Fprintf(out, "oauthgate quickstart:   open %s/\n", browserURL(ln.Addr()))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// browserURL is the URL a browser on this machine uses for addr: an
// unspecified host (":8000", "0.0.0.0") becomes 127.0.0.1.
func browserURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// logFormat is the value of --log-format: "text", "json", or "" for the
// command's default (text on a terminal, else notTerminal).
type logFormat struct {
	value       string
	notTerminal string
}

// addLogFormatFlag adds --log-format to fs. notTerminal is the format
// when standard error is not a terminal: what the command wrote before
// the flag existed, so that log collectors keep parsing it.
func addLogFormatFlag(fs *flag.FlagSet, notTerminal string) *logFormat {
	f := &logFormat{notTerminal: notTerminal}
	fs.StringVar(&f.value, "log-format", "", fmt.Sprintf("log `FORMAT`: text or json (default: text on a terminal, else %s)", notTerminal))
	return f
}

// resolve checks the value and settles the default for logs written to
// stderr.
func (f *logFormat) resolve(stderr io.Writer) error {
	switch f.value {
	case "text", "json":
	case "":
		f.value = f.notTerminal
		if isTerminal(stderr) {
			f.value = "text"
		}
	default:
		return fmt.Errorf("bad --log-format %q: want text or json", f.value)
	}
	return nil
}

// handler returns a slog handler writing to w in the resolved format.
func (f *logFormat) handler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	if f.value == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}

// isTerminal reports whether w is a terminal: a character device other
// than the null device (the standard library has no isatty).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

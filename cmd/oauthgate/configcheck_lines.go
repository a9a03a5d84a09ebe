package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// networkCheckTimeout bounds each network check of config check; they run
// at once, so the command waits this long at most.
const networkCheckTimeout = 5 * time.Second

// checkLine is one line of config check: what was checked and why it
// failed (nil: ok).
type checkLine struct {
	name string
	err  error
}

func (l checkLine) String() string {
	if l.err == nil {
		return l.name + ": ok"
	}
	return l.name + ": failed: " + l.err.Error()
}

// fileChecks checks each file the configuration names.
func fileChecks(files []confdecode.File) []checkLine {
	out := make([]checkLine, 0, len(files))
	for _, f := range files {
		line := checkLine{name: fmt.Sprintf("file %s %s", f.Key, f.Path)}
		if err := f.Check(); err != nil {
			// The line names the key already.
			var ce *confdecode.Error
			if errors.As(err, &ce) {
				err = errors.New(ce.Reason)
				if ce.Err != nil {
					err = fmt.Errorf("%s: %w", ce.Reason, ce.Err)
				}
			}
			line.err = err
		}
		out = append(out, line)
	}
	return out
}

// networkChecks runs cfg's remote checks at once, each within
// networkCheckTimeout, and returns their lines in cfg's order.
func networkChecks(ctx context.Context, cfg *auth.Config) []checkLine {
	checks := cfg.RemoteChecks()
	out := make([]checkLine, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, networkCheckTimeout)
			defer cancel()
			err := c.Run(ctx)
			if err != nil && ctx.Err() != nil {
				err = fmt.Errorf("no answer within %s", networkCheckTimeout)
			}
			out[i] = checkLine{name: c.Name, err: err}
		}()
	}
	wg.Wait()
	return out
}

// printChecks prints one line per check and returns the number that
// failed.
func printChecks(w io.Writer, lines []checkLine) int {
	failed := 0
	for _, l := range lines {
		fmt.Fprintln(w, l)
		if l.err != nil {
			failed++
		}
	}
	return failed
}

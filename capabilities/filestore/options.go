package filestore

import (
	"log/slog"
	"time"
)

// Options tunes the stores of the package. The zero value is ready to use.
type Options struct {
	// Logger receives hand edits that do not load. The default is
	// slog.Default().
	Logger *slog.Logger
	// PollInterval is how often the file is checked for changes made by
	// hand or by other processes. The default is [DefaultPollInterval]; a
	// negative value turns polling off (writes still see other processes'
	// changes).
	PollInterval time.Duration
	// Now is the clock that decides which token entries have expired and
	// stamps a client's Created and Updated. The default is time.Now. The
	// user store keeps no time.
	Now func() time.Time
}

// DefaultPollInterval is the [Options.PollInterval] used when none is
// given.
const DefaultPollInterval = 250 * time.Millisecond

// TokenFileFor returns the token file kept beside a user file:
// caps.yaml → caps.yaml.tokens.yaml.
func TokenFileFor(userFile string) string { return userFile + ".tokens.yaml" }

// ClientFileFor returns the clients file kept beside a user file:
// caps.yaml → caps.yaml.clients.yaml, as the token file is
// caps.yaml.tokens.yaml.
func ClientFileFor(userFile string) string { return userFile + ".clients.yaml" }

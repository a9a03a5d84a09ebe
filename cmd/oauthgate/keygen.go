package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/oauthgate/oauthgate/auth"
)

// maxKeygenBytes bounds --bytes: more entropy buys nothing.
const maxKeygenBytes = 1024

func init() {
	register(command{
		name:    "keygen",
		summary: "print a new random secret_key",
		run:     runKeygen,
	})
}

func runKeygen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("keygen", "keygen [--bytes N]", fmt.Sprintf(`
Prints a random secret_key: N bytes from the system's secure random source,
base64url-encoded without padding (safe in YAML and in environment variables).
Put it in the configuration's secret_key; when rotating, move the old key to
previous_secret_keys first. N is at least %d.`, auth.MinSecretKeyBytes))
	n := fs.Int("bytes", auth.MinSecretKeyBytes, "number of random bytes")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(fs, "unexpected argument %q", rest[0])
	}
	if *n < auth.MinSecretKeyBytes || *n > maxKeygenBytes {
		return usageError(fs, "--bytes %d: must be between %d and %d", *n, auth.MinSecretKeyBytes, maxKeygenBytes)
	}
	key := make([]byte, *n)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	_, err = fmt.Fprintln(stdout, base64.RawURLEncoding.EncodeToString(key))
	return err
}

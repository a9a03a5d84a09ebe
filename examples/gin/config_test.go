package main

import (
	"testing"

	"github.com/oauthgate/oauthgate/examples/internal/configfiletest"
)

// The example runs with the config.yaml beside it and the mock provider,
// as the README says: a user logs in through the provider, reads and
// writes notes.
func TestConfigFileWithMockIDP(t *testing.T) {
	configfiletest.WithMockIDP(t, serve, "/api/v1")
}

// Without the file, the error says which file to name.
func TestConfigFileMissing(t *testing.T) {
	configfiletest.Missing(t, serve, "examples/gin/config.yaml")
}

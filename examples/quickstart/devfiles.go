package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
)

// The files of the development folder (--dir, default .oauthgate-dev).
// They are written on the first run and kept: edit them and restart.
const (
	secretKeyFile = "secret_key"        // the dev secret_key, mode 0600
	graphFile     = "capabilities.yaml" // easy-oauth's capabilities section
	usersFile     = "users.yaml"        // stored capabilities (the user_file)
)

// demoGraph is the capabilities section of the demo. admin is added by
// auto_admin and implies everything.
const demoGraph = `# The demo's capabilities (easy-oauth's "capabilities:" section).
# Edit and restart the quickstart to change them.
graph:
  read: []
  write: [read]
  payroll: [read]
  user_management: []
auto_admin: true
default_capabilities: []
guest_capabilities: []
user_file: users.yaml
`

// demoUsers is the first users.yaml: admin@example.com is an admin,
// alice@example.com may write and see the payroll, bob@example.com holds
// nothing. The admin page changes this file.
var demoUsers = map[string][]string{
	"admin@example.com": {"admin"},
	"alice@example.com": {"payroll", "write"},
}

// devFiles reads the development folder, creating it and its files on the
// first run. It returns the secret key and the capabilities section, with
// user_file resolved against dir.
func devFiles(dir string) (secret string, caps capabilities.Config, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", caps, fmt.Errorf("quickstart: %w", err)
	}
	secret, err = devSecret(filepath.Join(dir, secretKeyFile))
	if err != nil {
		return "", caps, err
	}
	graphPath := filepath.Join(dir, graphFile)
	if err := writeIfMissing(graphPath, []byte(demoGraph), 0o600); err != nil {
		return "", caps, err
	}
	data, err := os.ReadFile(graphPath)
	if err != nil {
		return "", caps, fmt.Errorf("quickstart: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&caps); err != nil {
		return "", caps, fmt.Errorf("quickstart: %s: %w", graphPath, err)
	}
	if caps.UserFile == "" {
		caps.UserFile = usersFile
	}
	if !filepath.IsAbs(caps.UserFile) {
		caps.UserFile = filepath.Join(dir, caps.UserFile)
	}
	users, err := filestore.EncodeUserFile(demoUsers)
	if err != nil {
		return "", caps, fmt.Errorf("quickstart: %w", err)
	}
	if err := writeIfMissing(caps.UserFile, users, 0o600); err != nil {
		return "", caps, err
	}
	return secret, caps, nil
}

// devSecret returns the secret kept at path, generating 32 random bytes on
// the first run. The file is the only thing that keeps sessions and tokens
// valid across restarts: delete it to log everyone out.
func devSecret(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		if s := strings.TrimSpace(string(data)); s != "" {
			return s, nil
		}
		return "", fmt.Errorf("quickstart: %s is empty; delete it to get a new secret", path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("quickstart: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("quickstart: %w", err)
	}
	secret := base64.StdEncoding.EncodeToString(key)
	if err := writeIfMissing(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	// Another process may have won the race: read what is there.
	return devSecret(path)
}

// writeIfMissing creates path with data unless it exists.
func writeIfMissing(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("quickstart: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("quickstart: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("quickstart: writing %s: %w", path, err)
	}
	return nil
}

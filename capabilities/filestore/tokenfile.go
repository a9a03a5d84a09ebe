package filestore

import (
	"errors"
	"fmt"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
	"gopkg.in/yaml.v3"
)

// errInvalidTokenFile starts the error of a write refused because the
// token file does not load.
var errInvalidTokenFile = errors.New("capabilities: the token file does not load")

// tokenDoc is the token file's YAML form.
type tokenDoc struct {
	// Revoked maps token and session ids to when they expire.
	Revoked map[string]time.Time `yaml:"revoked,omitempty"`
	// Subjects maps subjects to the time before which their tokens are
	// revoked.
	Subjects map[string]time.Time `yaml:"subjects,omitempty"`
	// Grants maps token ids to their sealed identity-provider grants.
	Grants map[string]storecore.TokenGrant `yaml:"grants,omitempty"`
}

func decodeTokenFile(data []byte, path string) (*storecore.TokenState, error) {
	var f tokenDoc
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("capabilities: token file %s: %w", path, err)
	}
	t := storecore.NewTokenState()
	for id, until := range f.Revoked {
		t.Revoked[id] = until
	}
	for sub, before := range f.Subjects {
		t.Subjects[capabilities.NormalizeEmail(sub)] = before
	}
	for id, g := range f.Grants {
		t.Grants[id] = g
	}
	return t, nil
}

func encodeTokenFile(t *storecore.TokenState) ([]byte, error) {
	f := tokenDoc{Revoked: t.Revoked, Subjects: t.Subjects, Grants: t.Grants}
	data, err := yaml.Marshal(&f)
	if err != nil {
		return nil, fmt.Errorf("capabilities: encoding the token file: %w", err)
	}
	return data, nil
}

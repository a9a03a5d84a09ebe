package filestore

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/capabilities/internal/storecore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// ErrInvalidClientFile is matched (errors.Is) by the error of a write
// refused because the clients file does not load.
var ErrInvalidClientFile = errors.New("capabilities: the clients file does not load")

// clientEntry is one client in the file: the clients format as the
// configuration's clients: take it (a list may be one string, scope
// space-separated or a list), plus the store's timestamps.
type clientEntry struct {
	ClientSecret string                `yaml:"client_secret"`
	Audience     confdecode.StringList `yaml:"audience"`
	Sub          string                `yaml:"sub"`
	Scope        confdecode.StringList `yaml:"scope"`
	Permissions  confdecode.StringList `yaml:"permissions"`
	Roles        confdecode.StringList `yaml:"roles"`
	Groups       confdecode.StringList `yaml:"groups"`
	Disabled     bool                  `yaml:"disabled"`
	Created      time.Time             `yaml:"created"`
	Updated      time.Time             `yaml:"updated"`
}

// DecodeClientFile parses a clients file:
//
//	clients:
//	  reporting-job:
//	    client_secret: $argon2id$v=19$m=19456,t=2,p=1$…$…
//	    audience: api            # or a list; the first is the default
//	    sub: reporting           # default: the id
//	    scope: read:data write:data
//	    permissions: [read:data]
//	    roles: [reader]          # or one string
//	    groups: east             # or a list
//	    disabled: true
//	    created: 2026-01-02T03:04:05Z
//	    updated: 2026-01-02T03:04:05Z
//
// Unknown keys are errors naming the key meant (a misspelt "disabled" must
// not be ignored), and so is a client_secret that is not an argon2id hash:
// errors never quote a secret. Values are taken as written (the store
// writes the file; no ${NAME} or ~CRYPT~). Every problem is reported,
// naming its key; name is used in error messages. Clients come back
// sorted by id.
func DecodeClientFile(data []byte, name string) ([]store.Client, error) {
	m, err := decodeClients(data, name)
	if err != nil {
		return nil, err
	}
	return storecore.SortedClients(m), nil
}

func decodeClients(data []byte, name string) (map[string]store.Client, error) {
	var doc yaml.Node // not confdecode.Parse: a store's file has no size limit
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("capabilities: clients file %s: %w", name, &confdecode.Error{Reason: "invalid YAML", Err: err})
	}
	var f struct {
		Clients map[string]clientEntry `yaml:"clients"`
	}
	_, decodeErr := confdecode.Decode(&doc, &f, confdecode.Options{})
	out := make(map[string]store.Client, len(f.Clients))
	var invalid []error
	for _, id := range slices.Sorted(maps.Keys(f.Clients)) {
		e := f.Clients[id]
		c := store.Client{
			ID: id, SecretHash: e.ClientSecret, Audience: e.Audience, Subject: e.Sub,
			Scope: e.Scope.Words(), Permissions: e.Permissions, Roles: e.Roles, Groups: e.Groups,
			Disabled: e.Disabled, Created: e.Created, Updated: e.Updated,
		}
		if err := c.Validate(); err != nil {
			invalid = append(invalid, &confdecode.Error{Key: "clients." + id, Reason: "cannot be stored", Err: err})
		}
		out[id] = c
	}
	if err := confdecode.Join(decodeErr, errors.Join(invalid...)); err != nil {
		return nil, fmt.Errorf("capabilities: clients file %s: %w", name, err)
	}
	return out, nil
}

// EncodeClientFile returns the clients file holding clients, sorted by id
// (YAML maps are written sorted), each client's keys in a fixed order: the
// same clients always give the same bytes. A client that
// [store.Client.Validate] refuses is an error.
func EncodeClientFile(clients []store.Client) ([]byte, error) {
	m := make(map[string]store.Client, len(clients))
	for _, c := range clients {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		m[c.ID] = c
	}
	return encodeClients(m)
}

// clientOut is one client as written: one audience as a plain string, as
// simple_oauth_server's files have it, several as a list; the other lists
// always as lists.
type clientOut struct {
	ClientSecret string    `yaml:"client_secret"`
	Audience     any       `yaml:"audience,omitempty"`
	Sub          string    `yaml:"sub,omitempty"`
	Scope        string    `yaml:"scope,omitempty"`
	Permissions  []string  `yaml:"permissions,omitempty"`
	Roles        []string  `yaml:"roles,omitempty"`
	Groups       []string  `yaml:"groups,omitempty"`
	Disabled     bool      `yaml:"disabled,omitempty"`
	Created      time.Time `yaml:"created,omitempty"`
	Updated      time.Time `yaml:"updated,omitempty"`
}

func encodeClients(m map[string]store.Client) ([]byte, error) {
	f := struct {
		Clients map[string]clientOut `yaml:"clients"`
	}{Clients: make(map[string]clientOut, len(m))}
	for id, c := range m {
		var aud any
		switch len(c.Audience) {
		case 0:
		case 1:
			aud = c.Audience[0]
		default:
			aud = c.Audience
		}
		f.Clients[id] = clientOut{
			ClientSecret: c.SecretHash, Audience: aud, Sub: c.Subject,
			Scope: strings.Join(c.Scope, " "), Permissions: c.Permissions, Roles: c.Roles, Groups: c.Groups,
			Disabled: c.Disabled, Created: c.Created.UTC(), Updated: c.Updated.UTC(),
		}
	}
	data, err := yaml.Marshal(&f)
	if err != nil {
		return nil, fmt.Errorf("capabilities: encoding the clients file: %w", err)
	}
	return data, nil
}

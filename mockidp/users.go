package mockidp

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/internal/argon2id"
	"github.com/oauthgate/oauthgate/internal/atomicfile"
	"github.com/oauthgate/oauthgate/internal/confdecode"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// MinPasswordLength is the shortest password the sign-up page accepts.
const MinPasswordLength = 8

// FileUser is one user of a users file ([Options.UsersFile]):
//
//	users:
//	  - email: alice@example.com
//	    password: $argon2id$v=19$m=19456,t=2,p=1$...   # HashPassword
//	    name: Alice A                                  # optional
//	    claims: {groups: [admins]}                     # optional
//	    github: {login: alice, orgs: [acme], teams: [acme/ops]}  # optional, [GitHubAccount]
//	    microsoft: {tid: 11111111-2222-4333-8444-555555555555} # optional, [MicrosoftAccount]
//	    consents: {demo-client: openid email}          # written by the consent page
type FileUser struct {
	Email     string            `yaml:"email"`
	Password  string            `yaml:"password,omitempty"`
	Name      string            `yaml:"name,omitempty"`
	Sub       string            `yaml:"sub,omitempty"`
	Claims    map[string]any    `yaml:"claims,omitempty"`
	GitHub    *GitHubAccount    `yaml:"github,omitempty"`
	Microsoft *MicrosoftAccount `yaml:"microsoft,omitempty"`
	Consents  map[string]string `yaml:"consents,omitempty"`
}

// user is what the provider knows of a file user (no password).
func (fu FileUser) user() User {
	return User{Email: fu.Email, Name: fu.Name, Sub: fu.Sub, Claims: fu.Claims, GitHub: fu.GitHub, Microsoft: fu.Microsoft}.clone()
}

// HashPassword returns the argon2id hash (PHC string form) of a password,
// as kept in a users file; client secrets are hashed the same way.
func HashPassword(password string) (string, error) { return argon2id.Hash(password) }

// ParseUsers parses the YAML of a users file. Every problem is reported
// with the key it is at ("users[1].password").
func ParseUsers(data []byte) ([]FileUser, error) {
	doc, err := confdecode.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("mockidp: users file: %w", err)
	}
	var file struct {
		Users []FileUser `yaml:"users"`
	}
	if doc != nil {
		if _, err := confdecode.Decode(doc, &file, confdecode.Options{}); err != nil {
			return nil, fmt.Errorf("mockidp: users file: %w", err)
		}
	}
	var errs []error
	seen := map[string]int{}
	for i, u := range file.Users {
		key := fmt.Sprintf("users[%d]", i)
		if _, err := emailaddr.ParseUser(u.Email); err != nil {
			errs = append(errs, &confdecode.Error{Key: key + ".email", Reason: "want a user's email address", Err: err})
			continue
		}
		if j, dup := seen[emailaddr.Normalize(u.Email)]; dup {
			errs = append(errs, &confdecode.Error{Key: key + ".email", Reason: fmt.Sprintf("%s is also users[%d]", u.Email, j)})
		}
		seen[emailaddr.Normalize(u.Email)] = i
		if k, reason := validateUser(key+".", u.GitHub, u.Microsoft); reason != "" {
			errs = append(errs, &confdecode.Error{Key: k, Reason: reason})
		}
		if u.Password != "" {
			if err := argon2id.Validate(u.Password); err != nil {
				errs = append(errs, &confdecode.Error{Key: key + ".password", Reason: "want an argon2id hash ($argon2id$v=19$m=…,t=…,p=…$salt$hash), not a plaintext password", Err: err})
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("mockidp: users file: %w", errors.Join(errs...))
	}
	return file.Users, nil
}

// LoadUsers reads a users file; a missing file has no users yet (the
// sign-up page creates it).
func LoadUsers(path string) ([]FileUser, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mockidp: users file: %w", err)
	}
	users, err := ParseUsers(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return users, nil
}

// accounts are the users of the users file and the remembered consents.
// The users file, when there is one, is rewritten after each change.
type accounts struct {
	path string

	mu       sync.Mutex
	users    []FileUser
	consents map[string]string // userKey(email, client) → granted scopes, for users not in the file
}

var errUserExists = errors.New("a user with this email exists")

func newAccounts(path string) (*accounts, error) {
	a := &accounts{path: path, consents: map[string]string{}}
	if path == "" {
		return a, nil
	}
	users, err := LoadUsers(path)
	if err != nil {
		return nil, err
	}
	a.users = users
	return a, nil
}

func (a *accounts) indexLocked(email string) int {
	n := emailaddr.Normalize(email)
	return slices.IndexFunc(a.users, func(u FileUser) bool { return emailaddr.Normalize(u.Email) == n })
}

// lookup returns the file user with email.
func (a *accounts) lookup(email string) (FileUser, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i := a.indexLocked(email); i >= 0 {
		return a.users[i], true
	}
	return FileUser{}, false
}

// hasPasswords reports whether some user signs in with a password.
func (a *accounts) hasPasswords() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.path != "" || slices.ContainsFunc(a.users, func(u FileUser) bool { return u.Password != "" })
}

// add adds a user and writes the file; nothing changes when it fails.
func (a *accounts) add(u FileUser) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.indexLocked(u.Email) >= 0 {
		return errUserExists
	}
	a.users = append(a.users, u)
	if err := a.saveLocked(); err != nil {
		a.users = a.users[:len(a.users)-1]
		return err
	}
	return nil
}

func consentKey(email, clientID string) string { return emailaddr.Normalize(email) + "\x00" + clientID }

// consented reports whether the user granted every scope of scope to clientID.
func (a *accounts) consented(email, clientID, scope string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	granted, ok := a.consents[consentKey(email, clientID)]
	if i := a.indexLocked(email); i >= 0 {
		granted, ok = a.users[i].Consents[clientID]
	}
	if !ok {
		return false
	}
	have := strings.Fields(granted)
	for _, s := range strings.Fields(scope) {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}

// grant remembers the scopes granted to clientID, with those granted before.
func (a *accounts) grant(email, clientID, scope string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := consentKey(email, clientID)
	i := a.indexLocked(email)
	old := a.consents[key]
	if i >= 0 {
		old = a.users[i].Consents[clientID]
	}
	all := strings.Fields(old)
	for _, s := range strings.Fields(scope) {
		if !slices.Contains(all, s) {
			all = append(all, s)
		}
	}
	slices.Sort(all)
	merged := strings.Join(all, " ")
	if i < 0 {
		a.consents[key] = merged
		return nil
	}
	u := &a.users[i]
	prev := u.Consents
	u.Consents = make(map[string]string, len(prev)+1)
	for k, v := range prev {
		u.Consents[k] = v
	}
	u.Consents[clientID] = merged
	if err := a.saveLocked(); err != nil {
		u.Consents = prev
		return err
	}
	return nil
}

func (a *accounts) saveLocked() error {
	if a.path == "" {
		return nil
	}
	data, err := yaml.Marshal(struct {
		Users []FileUser `yaml:"users"`
	}{a.users})
	if err != nil {
		return err
	}
	data = append([]byte("# mockidp users: passwords are argon2id hashes; the sign-up and consent pages rewrite this file.\n"), data...)
	if err := atomicfile.Write(a.path, data, 0o600); err != nil {
		return fmt.Errorf("mockidp: users file: %w", err)
	}
	return nil
}

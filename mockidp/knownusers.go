package mockidp

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// editedUsers are the users defined or redefined while the provider runs
// ([Provider.SetUser]), by emailaddr.Normalize of the email.
type editedUsers struct {
	mu sync.RWMutex
	m  map[string]User
}

// SetUser defines or redefines a known user while the provider runs, as
// an administrator editing the account at a real provider would: logins
// from now on use u (before the users file and [Options.Users]), and so
// do the answers about earlier logins of u.Email that are built anew
// (ID tokens of a refresh, the GitHub API, the oauth2 mode's user info).
// A users file's password stays as it is. The subject of earlier logins
// does not change.
func (p *Provider) SetUser(u User) error {
	if err := checkEmail(u.Email); err != nil {
		return err
	}
	if key, reason := validateUser("", u.GitHub, u.Microsoft); reason != "" {
		return fmt.Errorf("mockidp: %s: %s", key, reason)
	}
	p.edited.mu.Lock()
	p.edited.m[emailaddr.Normalize(u.Email)] = u.clone()
	p.edited.mu.Unlock()
	return nil
}

// NextLoginUser is [Provider.NextLogin] with every attribute of a user:
// the next authorize request logs u in with its name, subject, claims
// and GitHub or Microsoft account; what u leaves empty comes from the
// known user of that email, or the defaults.
func (p *Provider) NextLoginUser(u User) error {
	if err := checkEmail(u.Email); err != nil {
		return err
	}
	if key, reason := validateUser("", u.GitHub, u.Microsoft); reason != "" {
		return fmt.Errorf("mockidp: %s: %s", key, reason)
	}
	u = u.clone()
	p.mu.Lock()
	p.nextLogins = append(p.nextLogins, login{email: u.Email, name: u.Name, sub: u.Sub, claims: u.Claims, gh: u.GitHub, ms: u.Microsoft})
	p.mu.Unlock()
	return nil
}

// knownUsers lists every known user once: those of SetUser, of the users
// file, of Options.Users, in that order of precedence.
func (p *Provider) knownUsers() []User {
	var us []User
	seen := map[string]bool{}
	add := func(u User) {
		if k := emailaddr.Normalize(u.Email); !seen[k] {
			seen[k] = true
			us = append(us, u)
		}
	}
	for _, u := range p.editedList() {
		add(u)
	}
	p.accts.mu.Lock()
	for _, fu := range p.accts.users {
		add(fu.user())
	}
	p.accts.mu.Unlock()
	for _, u := range p.opts.Users {
		add(u)
	}
	return us
}

// editedList lists SetUser's users, by email.
func (p *Provider) editedList() []User {
	p.edited.mu.RLock()
	defer p.edited.mu.RUnlock()
	us := slices.Collect(maps.Values(p.edited.m))
	slices.SortFunc(us, func(a, b User) int { return strings.Compare(a.Email, b.Email) })
	return us
}

func (p *Provider) editedUser(email string) (User, bool) {
	p.edited.mu.RLock()
	defer p.edited.mu.RUnlock()
	u, ok := p.edited.m[emailaddr.Normalize(email)]
	return u, ok
}

// editedLogin applies [Provider.SetUser] to a login made before it.
func (p *Provider) editedLogin(l login) login {
	u, ok := p.editedUser(l.email)
	if !ok {
		return l
	}
	if u.Name != "" {
		l.name = u.Name
	}
	l.claims, l.gh, l.ms = u.Claims, u.GitHub, u.Microsoft
	return l
}

// userBody is a user in the JSON of /control/next_login and /control/user:
// a User with JSON names.
type userBody struct {
	Email     string            `json:"email"`
	Name      string            `json:"name"`
	Sub       string            `json:"sub"`
	Claims    map[string]any    `json:"claims"`
	GitHub    *GitHubAccount    `json:"github"`
	Microsoft *MicrosoftAccount `json:"microsoft"`
}

func (b userBody) user() User { return User(b) }

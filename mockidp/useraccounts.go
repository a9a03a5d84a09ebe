package mockidp

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// GitHubAccount is what the github mode ([ModeGitHub]) tells of a user:
// the answers of /user, /user/emails, /user/orgs and /user/teams. Every
// field may be left out:
//
//	github:
//	  login: alice                        # default: from the email's local part
//	  id: 1001                            # default: NumericIDFor(email)
//	  orgs: [acme]                        # member of; a team's org counts too
//	  teams: [acme/platform]              # "org/team-slug"
//	  emails:                             # default: the email, primary and verified
//	    - {email: alice@example.com, primary: true, verified: true}
//	    - {email: alice@old.example, verified: false}
type GitHubAccount struct {
	Login  string        `yaml:"login,omitempty" json:"login,omitempty"`
	ID     int64         `yaml:"id,omitempty" json:"id,omitempty"`
	Orgs   []string      `yaml:"orgs,omitempty" json:"orgs,omitempty"`
	Teams  []string      `yaml:"teams,omitempty" json:"teams,omitempty"`
	Emails []GitHubEmail `yaml:"emails,omitempty" json:"emails,omitempty"`
}

// GitHubEmail is one address of a GitHub account. An account with emails
// has exactly one primary address.
type GitHubEmail struct {
	Email    string `yaml:"email" json:"email"`
	Primary  bool   `yaml:"primary,omitempty" json:"primary,omitempty"`
	Verified bool   `yaml:"verified,omitempty" json:"verified,omitempty"`
}

// MicrosoftAccount is what the microsoft mode ([ModeMicrosoft]) tells of
// a user in its ID tokens:
//
//	microsoft:
//	  tid: 11111111-2222-4333-8444-555555555555   # default: DefaultTenantID
//	  xms_edov: false                             # default: true
type MicrosoftAccount struct {
	// TenantID is the user's directory (the tid claim), a GUID.
	TenantID string `yaml:"tid,omitempty" json:"tid,omitempty"`
	// EmailDomainOwnerVerified is the xms_edov claim: whether the owner
	// of the email's domain is verified in the tenant. Nil means true.
	EmailDomainOwnerVerified *bool `yaml:"xms_edov,omitempty" json:"xms_edov,omitempty"`
}

// DefaultTenantID is the tenant (tid) of users whose [MicrosoftAccount]
// names none.
const DefaultTenantID = "3c9a6f2e-58d1-4b7a-9e42-0f5d6c1b8a73"

// consumersTenantID is the tenant of personal Microsoft accounts, whose
// issuer the /consumers discovery document names.
const consumersTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// NumericIDFor is the numeric id of an email that no [GitHubAccount]
// overrides: the GitHub id in github mode and the id of the oauth2 mode's
// user-info answer. Like [SubjectFor] it is stable and ignores the case
// of the email's ASCII letters.
func NumericIDFor(email string) int64 { return numericID("user:" + emailaddr.Normalize(email)) }

// numericID maps seed to 1,000,000..999,999,999: below 2^31, so every
// JSON reader keeps it exact.
func numericID(seed string) int64 {
	sum := sha256.Sum256([]byte("mockidp-id:" + seed))
	return 1_000_000 + int64(binary.BigEndian.Uint64(sum[:8])%999_000_000)
}

// githubLoginFor derives a GitHub login (letters, digits, single inner
// hyphens, at most 39) from an email's local part.
func githubLoginFor(email string) string {
	local, _, _ := strings.Cut(email, "@")
	var b strings.Builder
	for _, r := range strings.ToLower(local) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	login := strings.Trim(b.String(), "-")
	if len(login) > 39 {
		login = strings.TrimRight(login[:39], "-")
	}
	if login == "" {
		return "user"
	}
	return login
}

// githubAccountFor completes a (possibly nil) account with the defaults
// of email; verified is the email's verified state when no emails are
// given.
func githubAccountFor(a *GitHubAccount, email string, verified bool) GitHubAccount {
	var out GitHubAccount
	if a != nil {
		out = *a
	}
	if out.Login == "" {
		out.Login = githubLoginFor(email)
	}
	if out.ID == 0 {
		out.ID = NumericIDFor(email)
	}
	if len(out.Emails) == 0 {
		out.Emails = []GitHubEmail{{Email: email, Primary: true, Verified: verified}}
	}
	return out
}

// microsoftAccountFor completes a (possibly nil) account with the defaults.
func microsoftAccountFor(a *MicrosoftAccount) MicrosoftAccount {
	var out MicrosoftAccount
	if a != nil {
		out = *a
	}
	if out.TenantID == "" {
		out.TenantID = DefaultTenantID
	}
	out.TenantID = strings.ToLower(out.TenantID)
	return out
}

// edov is the xms_edov claim.
func (a MicrosoftAccount) edov() bool {
	return a.EmailDomainOwnerVerified == nil || *a.EmailDomainOwnerVerified
}

// validate reports the first problem of an account, naming the key
// (relative to the account) it is at.
func (a *GitHubAccount) validate() (key, reason string) {
	if a == nil {
		return "", ""
	}
	if a.ID < 0 {
		return "id", "want a positive number"
	}
	for i, org := range a.Orgs {
		if !githubName(org) {
			return fmt.Sprintf("orgs[%d]", i), "want an organization login (letters, digits, hyphens)"
		}
	}
	for i, t := range a.Teams {
		org, slug, ok := strings.Cut(t, "/")
		if !ok || !githubName(org) || slug == "" || strings.ContainsAny(slug, "/ \t") {
			return fmt.Sprintf("teams[%d]", i), `want "org/team-slug"`
		}
	}
	primaries := 0
	for i, e := range a.Emails {
		if err := checkEmail(e.Email); err != nil {
			return fmt.Sprintf("emails[%d].email", i), "want an email address"
		}
		if e.Primary {
			primaries++
		}
	}
	if len(a.Emails) > 0 && primaries != 1 {
		return "emails", fmt.Sprintf("want exactly one primary email, got %d", primaries)
	}
	return "", ""
}

func (a *MicrosoftAccount) validate() (key, reason string) {
	if a != nil && a.TenantID != "" && !isGUID(a.TenantID) {
		return "tid", "want a tenant GUID (8-4-4-4-12 hexadecimal digits)"
	}
	return "", ""
}

// githubName is a GitHub user or organization login.
func githubName(s string) bool {
	if s == "" || len(s) > 39 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// isGUID reports whether s is a GUID in its 8-4-4-4-12 form.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
				return false
			}
		}
	}
	return true
}

// validateUser checks a user's provider attributes; key prefixes the
// key named in the error ("users[2]").
func validateUser(prefix string, gh *GitHubAccount, ms *MicrosoftAccount) (key, reason string) {
	if k, r := gh.validate(); r != "" {
		return prefix + "github." + k, r
	}
	if k, r := ms.validate(); r != "" {
		return prefix + "microsoft." + k, r
	}
	return "", ""
}

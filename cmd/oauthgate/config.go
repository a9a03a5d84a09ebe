package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// configCommands are the subcommands of "oauthgate config".
var configCommands = map[string]command{}

func init() {
	register(command{
		name:    "config",
		summary: "check a configuration file, or encrypt its secrets",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return runGroup(ctx, "config", configCommands, args, stdout, stderr)
		},
	})
	configCommands["check"] = command{
		name:    "config check",
		summary: "load and validate a configuration file and its user file",
		run:     runConfigCheck,
	}
}

func runConfigCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("config check", "config check [--offline] --config FILE", `
Loads the configuration file as the app would: every value is checked
(${ENV} references expanded, ~CRYPT~ values decrypted with OAUTHGATE_PASSWORD),
the capability graph and policy are built, and the user file, when it exists,
is loaded against the graph. Every file the configuration names must be
readable (clients_file, key files, tls and ca files...), or, for one the
program writes when missing (capabilities.user_file,
client_credentials.signing_key_file, discovery_cache), creatable in its
folder. Then, unless --offline, the network: the store (store.dsn, through
the store driver, changing nothing), the identity provider (oidc and
microsoft: its discovery document names the issuer of server_metadata_url,
or for microsoft an issuer template, and the endpoints a login needs, and
its keys load; github: its API answers, and its token endpoint takes
client_id and client_secret; oauth2: the token endpoint takes them, and
userinfo_url and authorize_url answer) and each of jwt_issuers (its keys
load, found by discovery or at jwks_url); the checks run at once, 5s each
at most.
Prints one line per file and network check ("ok" or "failed: reason"),
then "ok" and a summary without secrets; or each problem naming its key
(exit status 1). Warnings (stderr) point out what is
legal but risky: plaintext secrets (including a client_secret under
clients:), an empty base_url, force_user, no browser login with no machine
client, and in a gateway file tls with an http base_url or an upstream's
insecure_skip_tls_verify. In a gateway file, two upstreams that reach the same
path of one app under different rules are a problem (serve only warns): the
looser rule would open what the stricter one guards. The summary names the
mode: browser login, no browser login (neither server_metadata_url nor
client_id set), or force_user.`)
	path := fs.String("config", "", "configuration `FILE` (required)")
	offline := fs.Bool("offline", false, "skip the network checks (store, identity provider, jwt_issuers)")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(fs, "unexpected argument %q", rest[0])
	}
	if *path == "" {
		return usageError(fs, "missing --config FILE")
	}

	// Plaintext client secrets are legal (as in simple_oauth_server) but
	// worth hashing; said even when the rest does not load.
	if data, err := os.ReadFile(*path); err == nil {
		if plain, err := plaintextClientSecrets(data); err == nil {
			for _, id := range plain {
				warn(stderr, "config check", "clients.%s.client_secret is plaintext; replace it with its hash: `oauthgate clients hash --config %s`", id, *path)
			}
		}
	}
	loaded, err := loadConfigFile(*path)
	if err != nil {
		problems := confdecode.Flatten(err)
		for _, p := range problems {
			fmt.Fprintf(stderr, "error: %v\n", p)
		}
		return fmt.Errorf("%s: %d problem(s)", *path, len(problems))
	}
	cfg, gw := loaded.Auth, loaded.Gateway
	var problems []error
	// Loading checked each secret's strength; sealing a token also derives
	// every key (two secrets might share a key id).
	probe := auth.TokenInfo{Kind: auth.KindService, Subject: "config-check@service", ExpiresAt: time.Now().Add(time.Minute)}
	if _, err := auth.MintToken(cfg, probe); err != nil {
		problems = append(problems, err)
	}
	checks := fileChecks(loaded.files())
	if !*offline {
		checks = append(checks, networkChecks(ctx, cfg)...)
	}
	policy, err := cfg.Capabilities.Policy()
	if err != nil {
		problems = append(problems, confdecode.Flatten(err)...)
	}
	users := -1 // -1: no user file to read
	if policy != nil && cfg.Capabilities.UserFile != "" {
		data, err := os.ReadFile(cfg.Capabilities.UserFile)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			problems = append(problems, fmt.Errorf("capabilities.user_file: %w", err))
		default:
			m, err := filestore.DecodeUserFile(data, policy.Graph(), cfg.Capabilities.UserFile)
			if err != nil {
				problems = append(problems, err)
			} else {
				users = len(m)
			}
		}
	}
	if gw != nil {
		// The gateway starts with them (and warns); here they are problems.
		for _, o := range gw.Overlaps() {
			problems = append(problems, errors.New(o.String()))
		}
	}
	failed := printChecks(stdout, checks)
	if *offline {
		fmt.Fprintln(stdout, "network: skipped (--offline)")
	}
	if len(problems)+failed > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "error: %v\n", p)
		}
		return fmt.Errorf("%s: %d problem(s)", *path, len(problems)+failed)
	}

	warnings := append(configWarnings(*path, cfg), loaded.Clients.Warnings()...)
	if gw != nil {
		warnings = append(warnings, gw.Warnings()...)
	}
	for _, w := range warnings {
		warn(stderr, "config check", "%s", w)
	}
	fmt.Fprintf(stdout, "ok: %s\n", *path)
	provider, clientID := providerSummary(cfg), cfg.ClientID
	mode := "browser login through the identity provider"
	switch {
	case cfg.InsecureForceUser != "":
		provider = "none: force_user " + cfg.InsecureForceUser
		mode = "force_user (development only)"
	case cfg.NoLogin():
		provider, clientID = "none", "(none)"
		mode = "no browser login: service tokens only"
		if cfg.MachineCallers() {
			mode = "no browser login: machine clients and service tokens"
		}
	}
	baseURL := cfg.BaseURL
	if baseURL == "" {
		baseURL = "(empty: loopback hosts only)"
	}
	fmt.Fprintf(stdout, "  mode:              %s\n", mode)
	fmt.Fprintf(stdout, "  identity provider: %s\n", provider)
	fmt.Fprintf(stdout, "  client_id:         %s\n", clientID)
	fmt.Fprintf(stdout, "  base_url:          %s\n", baseURL)
	fmt.Fprintf(stdout, "  prefix:            %q\n", cfg.Prefix)
	fmt.Fprintf(stdout, "  secret keys:       1 current, %d previous\n", len(cfg.PreviousSecretKeys))
	autoAdmin := "off"
	if policy.Graph().AutoAdmin() {
		autoAdmin = "on"
	}
	fmt.Fprintf(stdout, "  capabilities:      %d in the graph (auto_admin %s)\n", policy.Graph().Len(), autoAdmin)
	switch {
	case cfg.Store.Driver == "postgres":
		fmt.Fprintln(stdout, "  store:             postgres")
	case cfg.Capabilities.UserFile == "":
		fmt.Fprintln(stdout, "  store:             file, no user_file")
	case users < 0:
		fmt.Fprintf(stdout, "  store:             file %s (missing; created by the first write)\n", cfg.Capabilities.UserFile)
	default:
		fmt.Fprintf(stdout, "  store:             file %s (%d users)\n", cfg.Capabilities.UserFile, users)
	}
	fmt.Fprintf(stdout, "  lifetimes:         session %s, token %s\n", formatDuration(cfg.SessionMaxAge), formatDuration(cfg.TokenTTL))
	if gw != nil {
		upstreams := fmt.Sprintf("%d upstream(s)", len(gw.Upstreams))
		if len(gw.Upstreams) == 0 {
			upstreams = "no upstream (forward-auth checks only)"
		}
		fmt.Fprintf(stdout, "  gateway:           listen %s, %s\n", gw.Listen, upstreams)
	}
	return nil
}

// configWarnings lists what is valid in cfg (loaded from path) but worth
// an operator's attention.
func configWarnings(path string, cfg *auth.Config) []string {
	var out []string
	if plain, err := plaintextSecrets(path); err == nil && len(plain) > 0 {
		out = append(out, fmt.Sprintf("%s stored in plaintext; encrypt with `oauthgate config encrypt --config %s`",
			strings.Join(plain, ", "), path))
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o004 != 0 {
			out = append(out, fmt.Sprintf("%s holds plaintext secrets and is readable by every local user (mode %04o)", path, fi.Mode().Perm()))
		}
	}
	switch {
	case cfg.NoLogin() && !cfg.MachineCallers():
		out = append(out, "no browser login and no machine clients (jwt_issuers, clients): only service tokens "+
			"(`oauthgate token mint --service`) identify callers; every other request is a guest")
	case cfg.NoLogin():
	case cfg.BaseURL == "":
		out = append(out, "base_url is empty: logins work only on loopback hosts; set it to the app's external URL")
	}
	if cfg.InsecureForceUser != "" {
		out = append(out, fmt.Sprintf("force_user is set: every request is logged in as %s without any identity provider; never use it in production", cfg.InsecureForceUser))
	}
	for i, iss := range cfg.JWTIssuers {
		if iss.AudienceRequired != nil && !*iss.AudienceRequired {
			out = append(out, fmt.Sprintf("jwt_issuers[%d].audience_required is false: tokens of %s without aud are accepted, "+
				"so one it minted for another API passes here too; keep it only if the issuer's tokens are all for this app", i, iss.Issuer))
		}
	}
	if cfg.Store.Driver == "file" && cfg.Capabilities.UserFile == "" {
		out = append(out, "capabilities.user_file is not set: granted capabilities are not kept")
	}
	return out
}

// formatDuration prints d in days when it is a whole number of them.
func formatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

// providerSummary names the identity provider of cfg: the discovery URL
// (oidc), or the kind and where it is.
func providerSummary(cfg *auth.Config) string {
	switch cfg.Provider {
	case "github":
		if cfg.ProviderURL != "" {
			return "github " + cfg.ProviderURL
		}
		return "github https://github.com"
	case "microsoft":
		return "microsoft " + cfg.ServerMetadataURL
	case "oauth2":
		return "oauth2 " + cfg.AuthorizeURL
	}
	return cfg.ServerMetadataURL
}

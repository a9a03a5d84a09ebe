package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/oauthgate/oauthgate/capabilities/store"
)

func init() {
	clientsCommands["update"] = command{name: "clients update", summary: "change a client's audience, scope, permissions, roles or groups", run: runClientsUpdate}
}

func runClientsUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("clients update", "clients update (--config FILE | --file FILE) [--audience A] [--scope S] [--permissions P] [--roles R] [--groups G] [--sub S] ID", `
Changes a stored client in place: only the fields given change, each to
exactly the value given (an empty value empties the list); the secret, the
disabled flag and the other fields are kept. Tokens already issued keep
their claims until they expire; the app refuses those whose audience the
client lost once it sees the change.

--scope takes scopes separated by spaces or commas; --audience,
--permissions, --roles and --groups take comma-separated lists; each flag may
be repeated. A client under the configuration's clients: is changed in the
file, not here.`+"\n"+clientsWhere)
	var where clientStoreFlags
	where.register(fs)
	sub := fs.String("sub", "", "sub claim of the client's tokens")
	var scope scopeFlag
	var audience, permissions, roles, groups listFlag
	fs.Var(&scope, "scope", "`scopes` the client may ask for")
	fs.Var(&audience, "audience", "`audiences` the client may ask for")
	fs.Var(&permissions, "permissions", "`permissions` copied into its tokens")
	fs.Var(&roles, "roles", "`roles` copied into its tokens")
	fs.Var(&groups, "groups", "`groups` copied into its tokens")
	id, err := oneID(fs, &where, args, stdout, stderr)
	if err != nil {
		return err
	}
	var changed []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "sub", "scope", "audience", "permissions", "roles", "groups":
			changed = append(changed, f.Name)
		}
	})
	if len(changed) == 0 {
		return usageError(fs, "nothing to change: give --audience, --scope, --permissions, --roles, --groups or --sub")
	}
	if err := changeClient(ctx, &where, id, stderr, func(c *store.Client) error {
		if where.configured[id] {
			return fmt.Errorf("client %q is under clients: in %s, which the app uses instead of the stored one: change it there", id, where.config)
		}
		for _, name := range changed {
			switch name {
			case "sub":
				c.Subject = *sub
			case "scope":
				c.Scope = scope
			case "audience":
				c.Audience = audience
			case "permissions":
				c.Permissions = permissions
			case "roles":
				c.Roles = roles
			case "groups":
				c.Groups = groups
			}
		}
		if err := c.Validate(); err != nil {
			return usageError(fs, "%v", err)
		}
		return nil
	}); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s: updated %s\n", id, strings.Join(changed, ", "))
	return err
}

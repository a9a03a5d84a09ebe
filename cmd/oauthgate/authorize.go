package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/clientcreds"
)

func init() {
	register(command{
		name:    "authorize",
		summary: "answer an API Gateway Lambda authorizer event read on stdin",
		run:     runAuthorize,
	})
}

// maxEventSize bounds the event read on standard input (API Gateway's
// are a few KiB).
const maxEventSize = 1 << 20

func runAuthorize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("authorize", "authorize --config FILE < event.json", `
Reads one AWS API Gateway Lambda authorizer event (JSON: a REST TOKEN or
REQUEST event, or a WebSocket $connect event) on standard input, answers it
as the deployed authorizer would (awsauthorizer.Authorizer.Authorize: the
token is verified against the configuration's jwt_issuers, or as one of the
app's own client-credentials tokens, with the methodArn's stage as audience
unless gateway_authorizer.audience says otherwise) and prints the response JSON:
principalId, an Allow or Deny policyDocument, and the context. Mappings of
AUTH0_AUTH_MAPPINGS are added to the configuration's
gateway_authorizer.auth_mappings. Exit status 1 with "Unauthorized" when the
token is missing or invalid (API Gateway answers 401), or on any other error
(the reason a token is refused goes to standard error); 2 on a bad command
line. The issuer's keys are fetched over the network, as the authorizer
does.`)
	path := fs.String("config", "", "configuration `FILE` (required)")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usageError(fs, "unexpected argument %q (the event is read on standard input)", rest[0])
	case *path == "":
		return usageError(fs, "missing --config FILE")
	}
	data, err := readInput(stdin, "the event", maxEventSize)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(data))
	var ev awsauthorizer.Event
	if err := dec.Decode(&ev); err != nil {
		return fmt.Errorf("the event on standard input is not JSON of an authorizer event: %w", err)
	}
	if dec.More() {
		return errors.New("the event on standard input is followed by more data: give one event")
	}
	loaded, err := loadSections(*path)
	if err != nil {
		return err
	}
	cfg := loaded.Auth
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if loaded.Clients.Enabled() {
		grant, err := clientcreds.New(ctx, loaded.Clients, clientcreds.Options{Logger: cfg.Logger})
		if err != nil {
			return err
		}
		defer grant.Close()
		cfg.MachineIssuers = append(cfg.MachineIssuers, grant)
	}
	m, err := auth.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	az, err := awsauthorizer.New(loaded.Authorizer, m, awsauthorizer.Options{Logger: cfg.Logger})
	if err != nil {
		return err
	}
	resp, err := az.Authorize(ctx, ev)
	if err != nil {
		var unauth *awsauthorizer.UnauthorizedError
		if errors.As(err, &unauth) && unauth.Cause != nil {
			fmt.Fprintf(stderr, "oauthgate authorize: refused: %v\n", unauth.Cause)
		}
		return err
	}
	out, err := json.MarshalIndent(resp, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// Command lambda-authorizer is an AWS API Gateway Lambda authorizer: it
// verifies the caller's JWT access token against the configured issuers
// and answers with an IAM policy (awsauthorizer.Authorizer.Authorize), for REST
// APIs (TOKEN or REQUEST authorizers) and WebSocket APIs ($connect, token
// in Sec-WebSocket-Protocol). See README.md for the build and deployment.
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/awsauthorizer"
)

// ConfigEnv names the configuration file; by default it is config.yaml
// beside the executable (the bootstrap of the function's zip).
const ConfigEnv = "OAUTHGATE_CONFIG"

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	a, err := newAuthorizer(context.Background(), configPath(), log)
	if err != nil {
		// A bad configuration stops the function at its first start, with
		// the key and the reason in CloudWatch.
		log.Error("lambda-authorizer: cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(a.Handle)
}

// configPath returns $OAUTHGATE_CONFIG, else config.yaml beside the
// executable.
func configPath() string {
	if p := os.Getenv(ConfigEnv); p != "" {
		return p
	}
	exe, err := os.Executable()
	if err != nil {
		return "config.yaml"
	}
	return filepath.Join(filepath.Dir(exe), "config.yaml")
}

// authorizer answers the events of one function instance; its Manager
// keeps the issuers' keys and the verified tokens between invocations.
type authorizer struct {
	m   *auth.Manager
	az  *awsauthorizer.Authorizer
	log *slog.Logger
}

// newAuthorizer reads the configuration file: auth's keys (jwt_issuers,
// scope_capabilities...) and the gateway_authorizer: section, in one run.
func newAuthorizer(ctx context.Context, path string, log *slog.Logger) (*authorizer, error) {
	var azCfg awsauthorizer.Config
	cfg, err := auth.LoadConfig(path, &azCfg)
	if err != nil {
		return nil, err
	}
	cfg.Logger = log
	m, err := auth.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	az, err := awsauthorizer.New(&azCfg, m, awsauthorizer.Options{Logger: log})
	if err != nil {
		m.Close()
		return nil, err
	}
	return &authorizer{m: m, az: az, log: log}, nil
}

// Handle is the Lambda handler. A missing or invalid token fails with the
// message "Unauthorized" (API Gateway answers 401); a token lacking the
// scope gets a Deny policy (403).
func (a *authorizer) Handle(ctx context.Context, ev awsauthorizer.Event) (*awsauthorizer.Response, error) {
	resp, err := a.az.Authorize(ctx, ev)
	var unauth *awsauthorizer.UnauthorizedError
	switch {
	case errors.As(err, &unauth):
		a.log.Info("refused", "methodArn", ev.MethodArn, "reason", unauth.Cause)
	case err != nil:
		a.log.Error("bad event", "methodArn", ev.MethodArn, "err", err)
	default:
		a.log.Info("answered", "methodArn", ev.MethodArn, "principalId", resp.PrincipalID,
			"effect", resp.PolicyDocument.Statement[0].Effect)
	}
	return resp, err
}

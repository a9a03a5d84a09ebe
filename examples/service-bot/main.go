// Command service-bot calls a protected route of an oauthgate app with a
// service token, as a cron job or a script would, and prints the answer.
//
// An administrator mints the token once (GET /token?user=report-bot@service
// in a logged-in browser, or `oauthgate token`); the bot keeps it in its
// environment:
//
//	APP_URL=http://127.0.0.1:8000 OAUTHGATE_TOKEN=... go run ./examples/service-bot --path /api/whoami
//
// Flags override the environment: --url, --token, --path.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run reads the settings from args and getenv and calls the app.
func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("service-bot", flag.ContinueOnError)
	appURL := fs.String("url", getenv("APP_URL"), "the app's base URL (default $APP_URL)")
	token := fs.String("token", getenv("OAUTHGATE_TOKEN"), "the service token (default $OAUTHGATE_TOKEN)")
	path := fs.String("path", "/api/whoami", "the route to call")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *appURL == "":
		return errors.New("service-bot: no app URL: set APP_URL or --url")
	case *token == "":
		return errors.New("service-bot: no token: set OAUTHGATE_TOKEN or --token")
	}
	body, err := call(ctx, http.DefaultClient, *appURL, *path, *token)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, strings.TrimRight(string(body), "\n"))
	return err
}

// call sends GET appURL+path with the token and returns the body of a 200
// answer; any other status is an error carrying the app's message.
func call(ctx context.Context, c *http.Client, appURL, path, token string) ([]byte, error) {
	u, err := url.JoinPath(appURL, path)
	if err != nil {
		return nil, fmt.Errorf("service-bot: bad URL: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("service-bot: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("service-bot: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("service-bot: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("service-bot: GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

package main

import (
	"fmt"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/gateway"
)

// loadConfigFile reads a configuration file as every command does. The
// file is an app's (auth keys only) or a gateway's (the auth keys and the
// gateway's: listen, upstreams, timeouts...), told apart by decoding it:
// a file that auth reads whole is an app's; any other is read as a
// gateway's, which takes every key of both, so that each command accepts
// every file that serve runs, and names each problem the way serve would.
// gw is nil for an app's file.
func loadConfigFile(path string) (cfg *auth.Config, gw *gateway.Config, err error) {
	if cfg, err := auth.LoadConfig(path); err == nil {
		return cfg, nil, nil
	}
	if gw, err = gateway.LoadConfig(path); err != nil {
		return nil, nil, err
	}
	return &gw.Auth, gw, nil
}

// loadConfig is loadConfigFile for the commands that need the auth part
// only; several problems come back joined, one per line, after the path.
func loadConfig(path string) (*auth.Config, error) {
	cfg, _, err := loadConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s:\n%w", path, err)
	}
	return cfg, nil
}

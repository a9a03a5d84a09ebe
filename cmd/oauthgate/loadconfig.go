package main

import (
	"fmt"

	"github.com/oauthgate/oauthgate/internal/confdecode"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/gateway"
)

// loadedConfig is a configuration file as the commands read it: auth's
// keys, the sections of the packages plugged into the app (the
// client-credentials grant, the AWS authorizer) and, for a gateway's file,
// the gateway's keys.
type loadedConfig struct {
	Auth       *auth.Config
	Clients    *clientcreds.Config
	Authorizer *awsauthorizer.Config
	Gateway    *gateway.Config // nil for an app's file
}

// loadConfigFile reads a configuration file as every command does. The
// file is an app's (auth keys and the sections) or a gateway's (those and
// the gateway's: listen, upstreams, timeouts...), told apart by decoding
// it: a file that auth and the sections read whole is an app's; any other
// is read as a gateway's, which takes every key of both, so that each
// command accepts every file that serve runs, and names each problem the
// way serve would.
func loadConfigFile(path string) (*loadedConfig, error) {
	var cc clientcreds.Config
	var az awsauthorizer.Config
	if cfg, err := auth.LoadConfig(path, &cc, &az); err == nil {
		return &loadedConfig{Auth: cfg, Clients: &cc, Authorizer: &az}, nil
	}
	gw, err := gateway.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	return &loadedConfig{Auth: &gw.Auth, Clients: &gw.ClientCredentials, Authorizer: &gw.AWSAuthorizer, Gateway: gw}, nil
}

// loadSections is loadConfigFile for the commands; several problems come
// back joined, one per line, after the path.
func loadSections(path string) (*loadedConfig, error) {
	l, err := loadConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s:\n%w", path, err)
	}
	return l, nil
}

// loadConfig is loadSections for the commands that need the auth part
// only.
func loadConfig(path string) (*auth.Config, error) {
	l, err := loadSections(path)
	if err != nil {
		return nil, err
	}
	return l.Auth, nil
}

// files lists the files the configuration names, by the rule of
// confdecode.Files; a gateway's file holds auth's keys and the
// authorizer's section, the grant's are beside them.
func (l *loadedConfig) files() []confdecode.File {
	if l.Gateway != nil {
		return append(confdecode.Files(l.Gateway), confdecode.Files(l.Clients)...)
	}
	files := confdecode.Files(l.Auth)
	files = append(files, confdecode.Files(l.Clients)...)
	return append(files, confdecode.Files(l.Authorizer)...)
}

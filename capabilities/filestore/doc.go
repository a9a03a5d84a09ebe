// Package filestore keeps the stores of package store in YAML files:
// user capabilities in a user file compatible with easy-oauth's caps.yaml
// ([Open]), token revocations and kept grants in the token file beside it
// ([OpenTokenStore], [TokenFileFor]) and machine clients in a file in
// simple_oauth_server's clients format ([OpenClientStore],
// [ClientFileFor]).
//
// Every write is atomic and durable, serialised within the process and,
// through an flock on PATH.lock, across processes; changes made by hand or
// by other processes are picked up by a poller ([Options.PollInterval]).
package filestore

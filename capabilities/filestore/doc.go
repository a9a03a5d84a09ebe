// Package filestore keeps the stores of package store in YAML files:
// user capabilities in a user file compatible with easy-oauth's caps.yaml
// ([Open]), token revocations and kept grants in the token file beside it
// ([OpenTokenStore], [TokenFileFor]) and machine clients in a file in
// simple_oauth_server's clients format ([OpenClientStore],
// [ClientFileFor]). They are the default stores of package auth
// (`store.driver: file`, the `user_file` of the configuration); other
// backends register a driver with store.RegisterDriver.
//
// Each store runs the logic of its memory twin in package memstore over
// its file: the same checks and answers, each write durable in the file
// before it is seen. Every write is atomic, serialised within the process
// and, through an flock on PATH.lock, across processes; changes made by
// hand or by other processes are picked up by a poller
// ([Options.PollInterval]).
package filestore

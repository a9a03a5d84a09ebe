// Package storecore owns what the capability, token and client stores
// decide: how an email becomes a key, how capability lists are checked,
// what each write does to a user's list, to the token state or to the
// clients, and the in-memory state the stores answer reads from ([Users],
// [Tokens], [Clients]).
//
// A store is one of these over a [Backend], which only makes each change
// last before the core installs it: nothing to do for package memstore,
// a durable write of the watched file for package filestore. pgstore,
// which keeps its state in the database, uses the rules alone.
package storecore

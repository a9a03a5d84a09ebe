// Package memstore keeps capabilities ([Store]), token revocations
// ([TokenStore]) and machine clients ([ClientStore]) in memory: for
// tests, and for apps that configure capabilities only through overrides
// (package auth uses them when the configuration names no user file).
// Everything ends with the process. Package filestore keeps the same
// stores in files, and other backends (pgstore) register a driver with
// store.RegisterDriver.
package memstore

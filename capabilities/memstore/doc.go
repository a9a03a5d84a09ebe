// Package memstore keeps capabilities ([Store]), token revocations
// ([TokenStore]) and machine clients ([ClientStore]) in memory: for
// tests, and for apps that configure capabilities only through overrides.
// Everything ends with the process; package filestore keeps it in files.
package memstore

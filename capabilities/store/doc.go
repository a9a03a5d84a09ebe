// Package store defines what keeps the state of package auth beyond one
// process: the capabilities granted to users ([Store]), token revocations
// and kept identity-provider grants ([TokenStore]), and the machine
// clients of the client-credentials grant ([ClientStore]), with the errors
// they share and a registry of drivers that open them from a data source
// name ([RegisterDriver]).
//
// The backends are packages of their own: memstore (in memory), filestore
// (YAML files beside the configuration) and pgstore (PostgreSQL, selected
// with a blank import that registers its driver). The conformance suite
// every backend passes is package storetest.
package store

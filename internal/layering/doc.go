// Package layering holds the test that keeps the module's imports flowing
// one way: capabilities at the bottom, then auth, handlers, the feature
// packages beside each other, the gateway, and the command on top; test
// tooling is never imported by library code, and heavy dependencies stay
// in the leaves that need them.
package layering

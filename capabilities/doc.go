// Package capabilities holds the capability graph, the policy that turns a
// user's stored capabilities into an effective set, and the stores that keep
// those capabilities.
package capabilities

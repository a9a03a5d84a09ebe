// Package auth gives a Go web app OAuth 2.0 / OpenID Connect login, cookie
// sessions, encrypted user and service tokens, and capability checks.
//
// The configuration ([Config], [LoadConfig], [ParseConfig]) reads
// easy-oauth's config.yaml keys unchanged and adds its own. Tokens are
// sealed with AES-256-GCM under keys derived from secret_key, one key per
// purpose.
//
// The browser login works with any OpenID Connect provider found by
// discovery (provider: oidc, the default), with GitHub and GitHub
// Enterprise (github), Microsoft Entra ID with one tenant or many
// (microsoft) and plain OAuth 2.0 providers with a user-info endpoint
// (oauth2); see [Config.Provider]. Each login needs an email the provider
// vouches for ([Config.RequireVerifiedEmail]).
//
// An app starts from [LoadConfig] and [New]. The [Manager] identifies
// requests ([Manager.Identify]) and guards routes ([Manager.Require],
// [Manager.RequireLogin], [Manager.Optional], [Manager.RequireDerivedScope]);
// [Manager.Login] is the browser login and [Manager.Users] the capability
// management, whose routes package handlers serves.
package auth

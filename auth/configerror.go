package auth

import "github.com/oauthgate/oauthgate/internal/confdecode"

// ConfigError reports a bad configuration value; errors.As finds it in
// the errors of [LoadConfig], [ParseConfig], [Config.Validate] and
// gateway.LoadConfig alike. Its fields:
//
//   - File: the file holding the value when it is not the configuration
//     file itself (a file it names, read by a section); usually empty;
//   - Key: the YAML path of the value ("cookie.same_site",
//     "previous_secret_keys[1]"); empty for the whole file (YAML syntax);
//   - Reason: what is wrong and, when it helps, what to write;
//   - Err: the underlying cause, if any.
//
// Its message is "config: [<file>: ][<key>: ]<reason>[: <cause>]".
type ConfigError = confdecode.Error

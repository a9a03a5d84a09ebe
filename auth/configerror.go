package auth

// ConfigError reports a bad configuration value. Key is the YAML path of
// the value ("cookie.same_site", "previous_secret_keys[1]"); it is empty
// for errors about the whole file (YAML syntax).
type ConfigError struct {
	Key    string
	Reason string
	Err    error // underlying cause, if any
}

// Error returns "auth: config: <key>: <reason>".
func (e *ConfigError) Error() string {
	msg := "auth: config: "
	if e.Key != "" {
		msg += e.Key + ": "
	}
	msg += e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *ConfigError) Unwrap() error { return e.Err }

package awsauthorizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/oauthgate/oauthgate/auth"
)

// AuthMappingsEnv is the environment variable read for extra auth
// mappings, in the JSON format simple_oauth_server and Auth0 examples use:
//
//	{"read:pets": [{"method": "GET", "resourcePath": "/pets/{petId}"}]}
const AuthMappingsEnv = "AUTH0_AUTH_MAPPINGS"

// EveryCallerMapping is the mapping key that applies to every caller with
// a valid token, whatever its permissions (simple_oauth_server's rule).
const EveryCallerMapping = "principalId"

// AuthMapping is one API Gateway resource that a permission opens: a
// REST method and resource path, or a WebSocket route key.
type AuthMapping struct {
	// Method is an HTTP method (GET, POST, …), or "*" / "ANY" for every
	// method. REST APIs only.
	Method string `yaml:"method" json:"method"`
	// ResourcePath is the API's resource path, "/pets/{petId}": each
	// {param} segment matches any value ("*" in the ARN); "*" alone
	// matches every path. REST APIs only.
	ResourcePath string `yaml:"resourcePath" json:"resourcePath"`
	// RouteKey is a WebSocket route ("$connect", "sendMessage"). WebSocket
	// APIs only.
	RouteKey string `yaml:"routeKey" json:"routeKey"`
}

// maxMappingsJSON bounds the environment variable's size.
const maxMappingsJSON = 1 << 20

// parseAuthMappingsJSON reads the AUTH0_AUTH_MAPPINGS format. Unknown
// fields are errors, so that a typo does not silently open nothing.
func parseAuthMappingsJSON(s string) (map[string][]AuthMapping, error) {
	if len(s) > maxMappingsJSON {
		return nil, fmt.Errorf("longer than %d bytes", maxMappingsJSON)
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var out map[string][]AuthMapping
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("not a JSON object of permission → [{method, resourcePath} or {routeKey}]: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON object")
	}
	return out, nil
}

// checkAuthMappings normalizes mappings in place (methods upper-case,
// ANY → *) and returns config errors under key.
func checkAuthMappings(key string, mappings map[string][]AuthMapping) []error {
	var errs []error
	bad := func(k, reason string) { errs = append(errs, &auth.ConfigError{Key: k, Reason: reason}) }
	perms := make([]string, 0, len(mappings))
	for p := range mappings {
		perms = append(perms, p)
	}
	sort.Strings(perms)
	for _, perm := range perms {
		pk := key + "." + perm
		if perm == "" || strings.ContainsAny(perm, " \t\r\n\"\\") {
			bad(key, fmt.Sprintf("%q is not a permission (no spaces or quotes)", perm))
			continue
		}
		list := mappings[perm]
		if len(list) == 0 {
			bad(pk, "maps to no resource")
		}
		for i := range list {
			e := &list[i]
			ek := fmt.Sprintf("%s[%d]", pk, i)
			rest := e.Method != "" || e.ResourcePath != ""
			switch {
			case rest && e.RouteKey != "":
				bad(ek, "set method and resourcePath (REST) or routeKey (WebSocket), not both")
			case !rest && e.RouteKey == "":
				bad(ek, "empty: set method and resourcePath (REST) or routeKey (WebSocket)")
			case e.RouteKey != "":
				if !arnSafe(e.RouteKey) {
					bad(ek+".routeKey", fmt.Sprintf("%q has a space, control character, or wildcard mark", e.RouteKey))
				}
			default:
				e.Method = strings.ToUpper(strings.TrimSpace(e.Method))
				if e.Method == "ANY" {
					e.Method = "*"
				}
				switch e.Method {
				case "*", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
				case "":
					bad(ek+".method", "missing: an HTTP method, or * for all")
				default:
					bad(ek+".method", fmt.Sprintf("%q is not an HTTP method (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, or * / ANY)", e.Method))
				}
				switch p := e.ResourcePath; {
				case p == "":
					bad(ek+".resourcePath", "missing: a resource path such as /pets/{petId}")
				case p != "*" && !strings.HasPrefix(p, "/"):
					bad(ek+".resourcePath", fmt.Sprintf("%q does not start with /", p))
				case !arnSafe(strings.ReplaceAll(p, "*", "")):
					bad(ek+".resourcePath", fmt.Sprintf("%q has a space, control character, or wildcard mark", p))
				}
			}
		}
	}
	return errs
}

// arnSafe reports whether s may go into a resource ARN as it is: no
// space, control character or "?" (an IAM wildcard).
func arnSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '?' {
			return false
		}
	}
	return true
}

// mergeAuthMappings returns the mappings of the configuration plus those
// of the environment for permissions the configuration does not name: for
// a permission in both, the configuration's list wins whole.
func mergeAuthMappings(cfg, env map[string][]AuthMapping) map[string][]AuthMapping {
	out := make(map[string][]AuthMapping, len(cfg)+len(env))
	for p, l := range env {
		out[p] = l
	}
	for p, l := range cfg {
		out[p] = l
	}
	return out
}

// loadEnvAuthMappings reads and checks AUTH0_AUTH_MAPPINGS; a malformed
// value is a *ConfigError naming the variable.
func loadEnvAuthMappings() (map[string][]AuthMapping, error) {
	s, ok := os.LookupEnv(AuthMappingsEnv)
	if !ok {
		return nil, nil
	}
	m, err := parseAuthMappingsJSON(s)
	if err != nil {
		return nil, &auth.ConfigError{Key: AuthMappingsEnv + " (environment)", Reason: err.Error()}
	}
	if errs := checkAuthMappings(AuthMappingsEnv+" (environment)", m); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// restARN returns the resource ARN of a REST mapping under base
// ("arn:aws:execute-api:region:account:api/stage/"): the method, then the
// path with each {param} segment as "*".
func (e AuthMapping) restARN(base string) string {
	var b bytes.Buffer
	b.WriteString(base)
	b.WriteString(e.Method)
	if e.ResourcePath == "*" {
		b.WriteString("/*")
		return b.String()
	}
	for _, seg := range strings.Split(strings.TrimPrefix(e.ResourcePath, "/"), "/") {
		b.WriteByte('/')
		if len(seg) >= 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
			seg = "*"
		}
		b.WriteString(seg)
	}
	return b.String()
}

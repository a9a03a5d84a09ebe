package awsauthorizer

import (
	"errors"
	"fmt"
	"strings"
)

// MethodARN is an API Gateway methodArn, split:
// arn:PARTITION:execute-api:REGION:ACCOUNT:API/STAGE/REST, where REST is
// "METHOD/resource/path" (REST APIs) or a route key (WebSocket APIs).
type MethodARN struct {
	Partition, Region, Account, APIID, Stage string
	// Rest is what follows the stage, without the slash.
	Rest string
}

// maxARNLen bounds a methodArn; real ones are far shorter.
const maxARNLen = 2048

// ParseMethodARN splits an API Gateway methodArn. It refuses anything
// that is not an execute-api ARN with an API id, a stage and something
// after the stage, and any space or control character.
func ParseMethodARN(s string) (MethodARN, error) {
	bad := func(reason string) (MethodARN, error) {
		return MethodARN{}, fmt.Errorf("awsauthorizer: malformed methodArn: %s", reason)
	}
	switch {
	case s == "":
		return bad("missing")
	case len(s) > maxARNLen:
		return bad(fmt.Sprintf("longer than %d bytes", maxARNLen))
	case !arnSafe(s):
		return bad("contains a space, control character or '?'")
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return bad("not arn:PARTITION:execute-api:REGION:ACCOUNT:API/STAGE/...")
	}
	if parts[2] != "execute-api" {
		return bad(fmt.Sprintf("service %q is not execute-api", parts[2]))
	}
	a := MethodARN{Partition: parts[1], Region: parts[3], Account: parts[4]}
	if a.Partition == "" || a.Region == "" || a.Account == "" {
		return bad("empty partition, region or account")
	}
	var ok bool
	a.APIID, a.Rest, ok = strings.Cut(parts[5], "/")
	if ok {
		a.Stage, a.Rest, ok = strings.Cut(a.Rest, "/")
	}
	if !ok || a.APIID == "" || a.Stage == "" || a.Rest == "" {
		return bad("not API/STAGE/... after the account")
	}
	return a, nil
}

// Base returns the ARN up to and including the stage's slash; Base() +
// Rest is the whole ARN.
func (a MethodARN) Base() string {
	return "arn:" + a.Partition + ":execute-api:" + a.Region + ":" + a.Account + ":" + a.APIID + "/" + a.Stage + "/"
}

// String returns the ARN.
func (a MethodARN) String() string { return a.Base() + a.Rest }

// errNoMethod: a REST methodArn's rest has no method.
var errNoMethod = errors.New("awsauthorizer: malformed methodArn: no HTTP method after the stage")

// MethodPath returns the HTTP method and resource path of a REST
// methodArn: "GET/pets/7" → "GET", "/pets/7".
func (a MethodARN) MethodPath() (method, path string, err error) {
	method, path, _ = strings.Cut(a.Rest, "/")
	if method == "" {
		return "", "", errNoMethod
	}
	return method, "/" + path, nil
}

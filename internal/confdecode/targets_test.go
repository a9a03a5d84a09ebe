package confdecode

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// issuerPart and authorizerPart are sections of other owners: one whose
// keys sit at the top level, one under its own key.
type issuerPart struct {
	Clients map[string]string `yaml:"clients"`
	KeyFile string            `yaml:"signing_key_file" conf:"path"`
}

type authorizerPart struct {
	Audience string        `yaml:"audience"`
	TTL      time.Duration `yaml:"ttl"`
}

// TestDecodeAll: one file, three owners: each key lands in its owner by
// the same rules, and a key no owner takes is unknown, its suggestion
// taken from every owner.
func TestDecodeAll(t *testing.T) {
	t.Parallel()
	doc, err := Parse([]byte(`
name: app
clients:
  cron: ${SECRET}
signing_key_file: keys/signing.pem
aws_authorizer: {audience: prod, ttl: 2d}
`))
	if err != nil {
		t.Fatal(err)
	}
	var app sample
	var iss issuerPart
	var az authorizerPart
	dir := t.TempDir()
	unknown, err := DecodeAll(doc, Options{Dir: dir, LookupEnv: envMap(map[string]string{"SECRET": "s3"})},
		Target{Value: &app}, Target{Value: &iss}, Target{Key: "aws_authorizer", Value: &az})
	if err != nil || unknown != nil {
		t.Fatalf("%q %v", unknown, err)
	}
	if app.Name != "app" || iss.Clients["cron"] != "s3" || iss.KeyFile != filepath.Join(dir, "keys/signing.pem") ||
		az.Audience != "prod" || az.TTL != 48*time.Hour {
		t.Fatalf("%+v %+v %+v", app, iss, az)
	}

	doc, _ = Parse([]byte("clinets: {}\naws_authoriser: {}\naws_authorizer: {audeince: x, ttl: soon}\nnmae: x\n"))
	_, err = DecodeAll(doc, Options{}, Target{Value: &app}, Target{Value: &iss}, Target{Key: "aws_authorizer", Value: &az})
	want := []string{
		`config: clinets: unknown key (did you mean "clients"?)`,
		`config: aws_authoriser: unknown key (did you mean "aws_authorizer"?)`,
		`config: aws_authorizer.audeince: unknown key (did you mean "audience"?)`,
		`config: aws_authorizer.ttl: bad duration "soon"`,
		`config: nmae: unknown key (did you mean "name"?)`,
	}
	var got []string
	for _, e := range Flatten(err) {
		got = append(got, strings.SplitN(e.Error(), " (a Go duration", 2)[0])
	}
	if !slices.EqualFunc(got, want, strings.HasPrefix) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Unknown keys that the options allow are those of no owner.
	unknown, err = DecodeAll(doc, Options{AllowUnknownKeys: true}, Target{Value: &app}, Target{Value: &iss}, Target{Key: "aws_authorizer", Value: &authorizerPart{}})
	if err == nil || !slices.Equal(unknown, []string{"clinets", "aws_authoriser", "aws_authorizer.audeince", "nmae"}) {
		t.Fatalf("%q %v", unknown, err)
	}
}

// TestDecodeAllRefusesSharedKeys: two owners of one key is a wiring
// mistake, caught before anything is decoded.
func TestDecodeAllRefusesSharedKeys(t *testing.T) {
	t.Parallel()
	for name, targets := range map[string][]Target{
		"two top-level owners": {{Value: &issuerPart{}}, {Value: &issuerPart{}}},
		"a section on a field": {{Value: &sample{}}, {Key: "name", Value: &authorizerPart{}}},
		"two sections":         {{Key: "x", Value: &authorizerPart{}}, {Key: "x", Value: &authorizerPart{}}},
		"not a struct pointer": {{Value: sample{}}},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "confdecode: ") {
					t.Errorf("%s: recover() = %v", name, r)
				}
			}()
			_, _ = DecodeAll(nil, Options{}, targets...)
		}()
	}
}

// TestDecodeAllSharedMapping: two top-level owners may split the keys of
// one mapping (throttle: of the app and of a token issuer); a key of
// neither is unknown, suggested from both.
func TestDecodeAllSharedMapping(t *testing.T) {
	t.Parallel()
	type appLimits struct {
		Limits struct {
			Logins int `yaml:"logins"`
		} `yaml:"limits"`
	}
	type issuerLimits struct {
		Limits struct {
			Failures int `yaml:"failures"`
		} `yaml:"limits"`
	}
	var app appLimits
	var iss issuerLimits
	doc, _ := Parse([]byte("limits: {logins: 3, failures: 5}\n"))
	if _, err := DecodeAll(doc, Options{}, Target{Value: &app}, Target{Value: &iss}); err != nil {
		t.Fatal(err)
	}
	if app.Limits.Logins != 3 || iss.Limits.Failures != 5 {
		t.Fatalf("%+v %+v", app, iss)
	}
	doc, _ = Parse([]byte("limits: {failurse: 5}\n"))
	_, err := DecodeAll(doc, Options{}, Target{Value: &app}, Target{Value: &iss})
	if err == nil || !strings.Contains(err.Error(), `limits.failurse: unknown key (did you mean "failures"?)`) {
		t.Fatalf("err = %v", err)
	}
}

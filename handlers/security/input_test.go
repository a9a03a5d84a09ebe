package security_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
	"gopkg.in/yaml.v3"
)

// Input: request bodies are one bounded JSON object of the expected shape;
// anything else is a 400 (or 413 / 415) naming the problem, and nothing is
// stored. Names that mean something to YAML cannot change the user file.

func TestInputMalformed(t *testing.T) {
	t.Parallel()
	a := start(t, e2etest.Options{})
	admin := a.User(t, e2etest.AdminEmail)
	const add = "/manage_capabilities/add"
	for _, tc := range []struct {
		name, path, body string
		want             int
	}{
		{"truncated", add, `{"email":"x@corp.example","capability":"read"`, 400},
		{"not an object", add, `["x@corp.example","read"]`, 400},
		{"string", add, `"x@corp.example"`, 400},
		{"null", add, `null`, 400},
		{"empty", add, ``, 400},
		{"whitespace", add, "  \n", 400},
		{"trailing data", add, `{"email":"x@corp.example","capability":"read"} {"email":"y"}`, 400},
		{"trailing garbage", add, `{"email":"x@corp.example","capability":"read"}x`, 400},
		{"number email", add, `{"email":1,"capability":"read"}`, 400},
		{"object capability", add, `{"email":"x@corp.example","capability":{"a":1}}`, 400},
		{"string capabilities", "/manage_capabilities/set", `{"email":"x@corp.example","capabilities":"read"}`, 400},
		{"number in list", "/manage_capabilities/set", `{"email":"x@corp.example","capabilities":["read",1]}`, 400},
		{"unknown field", add, `{"email":"x@corp.example","capability":"read","admin":true}`, 400},
		{"unknown field case", add, `{"email":"x@corp.example","Capability":"read","CAPABILITY":"admin"}`, 400},
		{"duplicate key", add, `{"email":"x@corp.example","capability":"read","capability":"admin"}`, 400},
		{"invalid UTF-8", add, "{\"email\":\"x\xff@corp.example\",\"capability\":\"read\"}", 400},
		{"unknown capability", add, `{"email":"x@corp.example","capability":"nope"}`, 400},
		{"deep nesting", add, strings.Repeat("[", 10000) + strings.Repeat("]", 10000), 400},
		{"over the limit", "/manage_capabilities/set", `{"email":"x@corp.example","capabilities":["` + strings.Repeat("r", 65<<10) + `"]}`, 413},
		{"revoke wrong type", "/token/revoke", `{"token":["a"]}`, 400},
		{"revoke unknown field", "/token/revoke", `{"token":"a","x":1}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := admin.Do(t, http.MethodPost, tc.path, tc.body)
			if tc.body == "" {
				resp = admin.DoHeader(t, http.MethodPost, tc.path, "", http.Header{"Content-Type": {"application/json"}})
			}
			resp.Expect(t, tc.want)
			if resp.Detail(t) == "" {
				t.Errorf("no detail")
			}
		})
	}
	// A streamed body (no Content-Length) over the limit is 413 as well.
	big := strings.NewReader(`{"email":"x@corp.example","capabilities":["` + strings.Repeat("r", 1<<20) + `"]}`)
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/manage_capabilities/set", struct{ *strings.Reader }{big})
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin.Bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("streamed 1 MiB body: status %d; want 413", resp.StatusCode)
	}
	// A form post (what a cross-site page can send) is not JSON.
	admin.DoHeader(t, http.MethodPost, add, `email=x@corp.example&capability=read`,
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}).Expect(t, http.StatusUnsupportedMediaType)
	// Nothing of the above was stored.
	var got struct{ Capabilities []string }
	admin.Get(t, "/manage_capabilities/list?email=x@corp.example").Expect(t, 200).JSON(t, &got)
	if len(got.Capabilities) != 0 {
		t.Errorf("x@corp.example holds %v", got.Capabilities)
	}
}

// TestInputYAMLSpecialNames: capability names and emails made of YAML
// syntax are refused or stored as plain strings; the user file still says
// exactly who holds what, and admin stays with the admin.
func TestInputYAMLSpecialNames(t *testing.T) {
	t.Parallel()
	userFile := filepath.Join(t.TempDir(), "caps.yaml")
	a := start(t, e2etest.Options{Capabilities: e2etest.Capabilities + "  user_file: " + userFile + "\n"})
	admin := a.User(t, e2etest.AdminEmail)
	specials := []string{
		"admin\n", "read\nadmin", "read\n- admin", "- admin", "[admin]", "{admin: []}", "admin: [admin]",
		"'admin'", `"admin"`, "&a admin", "*a", "!!str admin", "? admin", "| admin", "> admin", "# admin",
		"read # admin", "%YAML 1.1", "---", "...", "read\r\nadmin", "admin\x00", " admin", "ADMIN", "admin ",
		"<<: *a", "~", "null", "true", "@admin", "`admin`",
	}
	for _, c := range specials {
		body, _ := json.Marshal(map[string]any{"email": "victim@corp.example", "capabilities": []string{c}})
		admin.Do(t, http.MethodPost, "/manage_capabilities/add", string(body)).Expect(t, http.StatusBadRequest)
	}
	emails := []string{
		"evil@corp.example: [admin]", "evil@corp.example\nuser@corp.example: [admin]", "- evil@corp.example",
		"'evil'@corp.example", `"evil"@corp.example`, "evil@corp.example # admin", "&a evil@corp.example",
		"? evil@corp.example", "{evil@corp.example: [admin]}", "evil@corp.example\r\n", "!!binary evil@corp.example",
	}
	stored := map[string]bool{}
	for _, e := range emails {
		body, _ := json.Marshal(map[string]any{"email": e, "capabilities": []string{"read"}})
		resp := admin.Do(t, http.MethodPost, "/manage_capabilities/add", string(body))
		switch resp.StatusCode {
		case http.StatusOK:
			stored[strings.ToLower(strings.TrimSpace(e))] = true
		case http.StatusBadRequest:
		default:
			t.Errorf("email %q: status %d", e, resp.StatusCode)
		}
	}
	data, err := os.ReadFile(userFile)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string][]string
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatalf("user file no longer parses: %v\n%s", err, data)
	}
	for email, caps := range file {
		for _, c := range caps {
			if c == "admin" && email != e2etest.AdminEmail {
				t.Errorf("%q holds admin in the file:\n%s", email, data)
			}
		}
		if email == e2etest.AdminEmail || email == e2etest.ManagerEmail || email == e2etest.ServiceName {
			continue
		}
		if !stored[email] || len(caps) != 1 || caps[0] != "read" {
			t.Errorf("user file entry %q: %v:\n%s", email, caps, data)
		}
	}
	for e := range stored {
		if _, ok := file[e]; !ok {
			t.Errorf("stored %q is not in the file:\n%s", e, data)
		}
	}
	// The app reads its file back the same way: nobody else became admin.
	a.User(t, e2etest.UserEmail).Get(t, "/users").Expect(t, http.StatusForbidden)
}

package gatewaytest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/oauthgate/oauthgate/gateway/gatewaytest"
)

// A gateway in front of the echo upstream, with its mock provider: a guest
// is sent to log in, a user passes, a service token is refused a route
// its account does not hold. In a test, New takes the test's *testing.T.
func ExampleNew() {
	t := &exampleTB{}
	defer t.finish()
	gs := gatewaytest.New(t, gatewaytest.Options{})

	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	show := func(who string, c *http.Client, path, token string) {
		req, _ := http.NewRequest(http.MethodGet, gs.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			fmt.Println(who, err)
			return
		}
		resp.Body.Close()
		fmt.Println(who, path, resp.StatusCode)
	}
	show("guest", noRedirects, "/web/report", "")
	show("alice", gs.Browser(gatewaytest.Alice), "/web/report", "")
	show("bot", noRedirects, "/write/report", gs.ServiceToken(gatewaytest.Bot))
	show("alice", gs.Browser(gatewaytest.Alice), "/write/report", "")
	// Output:
	// guest /web/report 302
	// alice /web/report 200
	// bot /write/report 200
	// alice /write/report 403
}

// exampleTB stands for the *testing.T of a test in the example, which
// runs outside any test: it prints failures and runs the cleanups at the
// end.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func (e *exampleTB) Helper()                      {}
func (e *exampleTB) Cleanup(f func())             { e.cleanups = append(e.cleanups, f) }
func (e *exampleTB) Errorf(f string, args ...any) { fmt.Printf("error: "+f+"\n", args...) }
func (e *exampleTB) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

func (e *exampleTB) finish() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

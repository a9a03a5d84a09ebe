package ginauth_test

import (
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/ginauth"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// ginApp is the test app on gin: the same routes and guards as on
// http.ServeMux and chi.
func ginApp(m *auth.Manager) http.Handler {
	r := gin.New()
	r.HandleMethodNotAllowed = true // answer 405 as ServeMux and chi do
	ginauth.Mount(r, m)
	for _, g := range e2etest.Guards {
		var mw gin.HandlerFunc
		switch g.Mode {
		case e2etest.Optional:
			mw = ginauth.Optional(m)
		case e2etest.Login:
			mw = ginauth.RequireLogin(m, g.Options()...)
		default:
			mw = ginauth.Require(m, g.Cap, g.Options()...)
		}
		r.GET(g.Path, mw, gin.WrapF(e2etest.Echo))
	}
	return r
}

func TestTableGin(t *testing.T) {
	t.Parallel()
	e2etest.RunTable(t, ginApp)
}

// TestChain checks that a refusal aborts the rest of gin's chain, and that
// what runs after the middleware sees the identity.
func TestChain(t *testing.T) {
	t.Parallel()
	var reached, after atomic.Int32
	var seen atomic.Value
	app := e2etest.Start(t, e2etest.IdP(t), func(m *auth.Manager) http.Handler {
		r := gin.New()
		ginauth.Mount(r, m)
		r.Use(func(c *gin.Context) {
			c.Next()
			after.Add(1) // earlier middleware still completes
		})
		r.GET("/write", ginauth.Require(m, "write"), func(c *gin.Context) {
			reached.Add(1)
			seen.Store(ginauth.Identity(c).String())
			c.String(200, "ok")
		})
		return r
	}, e2etest.Options{})

	app.Guest().Get(t, "/write").Expect(t, 401)
	user := app.User(t, e2etest.UserEmail)
	user.Get(t, "/write").Expect(t, 403)
	if reached.Load() != 0 {
		t.Fatalf("handler ran after a refusal")
	}
	app.User(t, e2etest.ManagerEmail).Get(t, "/write").Expect(t, 200)
	if reached.Load() != 1 || seen.Load() != "user:"+e2etest.ManagerEmail {
		t.Errorf("reached %d, identity %v", reached.Load(), seen.Load())
	}
	if after.Load() < 3 {
		t.Errorf("outer middleware completed %d times; want at least 3", after.Load())
	}
}

func TestRequireUnknownCapabilityPanicsAtWiring(t *testing.T) {
	t.Parallel()
	app := e2etest.Start(t, e2etest.IdP(t), e2etest.MuxApp, e2etest.Options{})
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), `"nope"`) {
			t.Errorf("recover() = %v; want a panic naming the capability", r)
		}
	}()
	ginauth.Require(app.Manager, "nope")
}

func TestMountHead(t *testing.T) {
	t.Parallel()
	app := e2etest.Start(t, e2etest.IdP(t), ginApp, e2etest.Options{})
	app.Guest().Do(t, http.MethodHead, "/manage_capabilities/list", "").Expect(t, 401)
}

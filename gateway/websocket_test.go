package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/websocket"
)

// A WebSocket echo works through the gateway, behind a login rule.
func TestWebSocket(t *testing.T) {
	t.Parallel()
	echo := websocket.Server{Handler: func(c *websocket.Conn) {
		for {
			var msg string
			if err := websocket.Message.Receive(c, &msg); err != nil {
				return
			}
			if err := websocket.Message.Send(c, "echo: "+msg+" from "+c.Request().Header.Get("X-Auth-Request-Email")); err != nil {
				return
			}
		}
	}}
	e := newEnv(t, echo, nil)
	tok := e.userToken(alice)
	wsURL := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/app/ws"

	cfg, err := websocket.NewConfig(wsURL, e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := websocket.DialConfig(cfg); err == nil {
		t.Fatal("a guest opened a WebSocket on a login route")
	}
	cfg.Header = http.Header{"Authorization": {"Bearer " + tok}}
	conn, err := websocket.DialConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, msg := range []string{"one", "two"} {
		if err := websocket.Message.Send(conn, msg); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := websocket.Message.Receive(conn, &got); err != nil {
			t.Fatal(err)
		}
		if want := "echo: " + msg + " from " + alice; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

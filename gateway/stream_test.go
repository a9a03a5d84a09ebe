package gateway_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"
)

// An event stream reaches the client event by event, not when the
// upstream is done.
func TestEventStream(t *testing.T) {
	t.Parallel()
	next := make(chan struct{})
	stream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 2 {
			_, _ = w.Write([]byte("data: " + string(rune('a'+i)) + "\n\n"))
			w.(http.Flusher).Flush()
			select {
			case <-next:
			case <-time.After(5 * time.Second):
				return
			case <-r.Context().Done():
				return
			}
		}
	})
	e := newEnv(t, stream, nil)
	resp, err := http.Get(e.srv.URL + "/pub/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	for _, want := range []string{"data: a", "data: b"} {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(line) != want {
			t.Fatalf("got %q, want %q", line, want)
		}
		_, _ = rd.ReadString('\n')
		next <- struct{}{} // the upstream writes the next event only now
	}
}

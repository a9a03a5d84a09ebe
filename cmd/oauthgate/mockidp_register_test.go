package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/mockidp"
)

// With --registration, --clients names the file registered clients are
// saved to; a missing file starts from the demo client.
func TestMockIDPRegistrationSavesClients(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "clients.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"mockidp", "--addr", "127.0.0.1:0", "--registration", "--clients", file}, pw, &errOut)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if err != nil {
		cancel()
		<-done
		t.Fatalf("mockidp did not start: %s", errOut.String())
	}
	issuer := strings.TrimSpace(line)
	resp, err := http.Post(issuer+"/register", "application/json", strings.NewReader(`{"redirect_uris":["http://localhost:8080/cb"]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, errOut.String())
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %s", resp.Status)
	}
	clients, err := mockidp.LoadClients(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(mockidp.DemoClients()) + 1; len(clients) != want {
		t.Errorf("clients file holds %d clients; want the demo clients and the registered one (%d)", len(clients), want)
	}
	if code, stdout, _ := cli(t, "mockidp", "-h"); code != 0 || !strings.Contains(stdout, "-registration") {
		t.Errorf("mockidp -h does not document --registration: %s", stdout)
	}
}

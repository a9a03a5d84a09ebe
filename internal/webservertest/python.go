package webservertest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Python runs script, a Python 3 program that serves HTTP on the host and
// port given as its two arguments (typically an http.server handler, as
// small apps are written), and returns it when it accepts connections.
// Its answers must carry http.server's Server header (BaseHTTP/…
// Python/…), which names the server as started.
//
// The script is written to Server.Dir and runs there with python3, its
// output unbuffered, its standard output and error as its log.
func Python(t testing.TB, script string) *Server {
	t.Helper()
	bin := lookPath(t, "python3", "python3")
	return start(t, "python", func(addr, dir string) (*exec.Cmd, string, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, "", err
		}
		file := filepath.Join(dir, "app.py")
		if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
			return nil, "", err
		}
		return exec.Command(bin, "-u", file, host, port), "", nil
	})
}

package webservertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Caddy starts Caddy with the site blocks that site returns, and returns
// it when it accepts connections. site gets the site address to serve,
// http://127.0.0.1:PORT.
//
// Caddy runs in the foreground (caddy run) with a Caddyfile whose global
// options turn off the admin endpoint and automatic HTTPS, and with HOME
// and its data and config directories (where it saves its last config)
// under Server.Dir. Its log (JSON lines) is its standard error.
func Caddy(t testing.TB, site func(address string) string) *Server {
	t.Helper()
	bin := lookPath(t, "caddy", "caddy")
	return start(t, "caddy", func(addr, dir string) (*exec.Cmd, string, error) {
		conf := filepath.Join(dir, "Caddyfile")
		text := caddyGlobal + "\n" + site("http://"+addr)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return nil, "", err
		}
		env := []string{
			"HOME=" + dir,
			"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
			"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
			"PATH=/usr/bin:/bin",
		}
		validate := exec.Command(bin, "validate", "--config", conf, "--adapter", "caddyfile")
		validate.Env, validate.Dir = env, dir
		if out, err := validate.CombinedOutput(); err != nil {
			return nil, "", fmt.Errorf("caddy validate: %v\n%s", err, out)
		}
		cmd := exec.Command(bin, "run", "--config", conf, "--adapter", "caddyfile")
		cmd.Env = env
		return cmd, "", nil
	})
}

// caddyGlobal keeps Caddy to the one port it is given and to its own
// directory.
const caddyGlobal = `{
	admin off
	auto_https off
}
`

package webservertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Nginx starts nginx with the blocks that site returns (server and
// upstream blocks) inside its http block, and returns it when it accepts
// connections. site gets the address to listen on, 127.0.0.1:PORT.
//
// nginx runs in the foreground as one process (daemon off, master_process
// off), with its pid, logs and temporary files under Server.Dir and a
// config that includes nothing from /etc/nginx.
func Nginx(t testing.TB, site func(listen string) string) *Server {
	t.Helper()
	bin := lookPath(t, "nginx", "nginx")
	return start(t, "nginx", func(addr, dir string) (*exec.Cmd, string, error) {
		logFile := filepath.Join(dir, "error.log")
		conf := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(conf, []byte(nginxConf(dir, logFile, site(addr))), 0o600); err != nil {
			return nil, "", err
		}
		if out, err := exec.Command(bin, "-t", "-q", "-p", dir+"/", "-c", conf, "-e", logFile).CombinedOutput(); err != nil {
			return nil, "", fmt.Errorf("nginx -t: %v\n%s\n%s", err, out, readFile(logFile))
		}
		return exec.Command(bin, "-p", dir+"/", "-c", conf, "-e", logFile), logFile, nil
	})
}

func nginxConf(dir, logFile, site string) string {
	return fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[2]s info;
events {
    worker_connections 1024;
}
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;

%[3]s
}
`, dir, logFile, site)
}

func readFile(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

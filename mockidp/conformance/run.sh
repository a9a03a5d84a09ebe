#!/usr/bin/env bash
# Builds the oauthgate command, starts its mock identity provider on a free
# loopback port, and runs flow.mjs (openid-client) against it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tmp="$(mktemp -d)"
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

(cd "$root" && go build -o "$tmp/oauthgate" ./cmd/oauthgate)
# Port 0: the kernel picks a free port; the command prints its issuer URL.
"$tmp/oauthgate" mockidp --addr 127.0.0.1:0 --registration >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!

health() {
	node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1/health"
}
issuer=""
for _ in $(seq 1 100); do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "mockidp exited early:" >&2
		cat "$tmp/stderr" >&2
		exit 1
	fi
	issuer="$(head -n1 "$tmp/stdout")"
	if [ -n "$issuer" ] && health "$issuer"; then
		break
	fi
	issuer=""
	sleep 0.1
done
if [ -z "$issuer" ]; then
	echo "mockidp did not answer /health within 10s" >&2
	cat "$tmp/stderr" >&2
	exit 1
fi

cd "$here"
npm ci --no-audit --no-fund --silent
if ! node flow.mjs "$issuer"; then
	echo "mockidp log:" >&2
	cat "$tmp/stderr" >&2
	exit 1
fi

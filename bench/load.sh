#!/usr/bin/env bash
# Loopback load test: starts bench/loadapp on 127.0.0.1 (a free port) and
# runs wrk against GET /public (no middleware) and GET /protected
# (m.Require("read"), a user bearer token), alternating, then prints
# requests/s, p50 and p99 latency and the app's CPU time per request for
# each run, the medians and the protected/unprotected ratios. Both routes
# get the same request (with the Authorization header) and the same
# handler: only the middleware differs.
#
# With --soak N it then loads /protected for N seconds and prints the app's
# heap (after a GC) before and after.
#
# With --proxy it measures `oauthgate serve` instead: loadapp --upstream is
# a plain app (GET /hello, no middleware) and the gateway stands in front
# of it (require: read, the same bearer token). wrk loads three routes in
# turn: "direct" (the app), "bare" (loadapp --proxy-to, a bare
# standard-library reverse proxy to the app in a process of its own: what
# any extra HTTP hop costs) and "proxy" (the gateway, with --access-log as
# given; serve's default is on). If nginx is installed, a fourth route,
# "nginx", is the reference for what the hop costs a C proxy on this
# machine: nginx (master and 2 workers, in the foreground with a config of
# its own under the temporary folder) doing a plain proxy_pass to the app
# over keep-alive upstream connections, its access log as --access-log
# (buffered: a 64 KiB buffer). The CPU per request counts the app's and
# the proxy's processes.
# The target is proxy >= 60% of direct requests/s. --app-cpu D makes the
# app spend D of CPU per request (a Go duration: 100us), as a real app
# does; the default, none, is the hardest case for any proxy.
# --upstream-transport standard|direct sets the gateway's
# upstream_transport (default: the gateway's own, direct), to compare the
# two in the same conditions.
# --baseline REV adds a route "baseline": the gateway built from the git
# revision REV (a commit, tag or branch of this repository), with the same
# configuration on a port of its own, so that a change to the gateway is
# measured against the code before it in one run (ratio proxy/baseline).
#
#   bench/load.sh [--duration 10] [--rounds 3] [--threads 2] [--connections 32] [--soak 60]
#   bench/load.sh --proxy [--access-log on|buffered|off] [--app-cpu 0] [--upstream-transport direct|standard] [--baseline REV] [--duration 10] [--rounds 3] ...
#
# Environment: DURATION, ROUNDS, THREADS, CONNECTIONS, SOAK, PROXY=1,
# ACCESS_LOG, APP_CPU, UPSTREAM_TRANSPORT, BASELINE (same meaning). Limits: duration 1-600 s, rounds 1-60, soak
# up to 3600 s (not with --proxy). Total time is about 2 + ROUNDS * (2 to 5
# routes) * (DURATION+1) + SOAK seconds; every wrk run is also under
# `timeout`, and the app and the gateway stop by themselves after that
# time and two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
SOAK=${SOAK:-0}
PROXY=${PROXY:-0}
ACCESS_LOG=${ACCESS_LOG:-on}
APP_CPU=${APP_CPU:-0}
UPSTREAM_TRANSPORT=${UPSTREAM_TRANSPORT:-}
BASELINE=${BASELINE:-}

usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DURATION=${2:?}; shift 2 ;;
	--rounds) ROUNDS=${2:?}; shift 2 ;;
	--threads) THREADS=${2:?}; shift 2 ;;
	--connections) CONNECTIONS=${2:?}; shift 2 ;;
	--soak) SOAK=${2:?}; shift 2 ;;
	--proxy) PROXY=1; shift ;;
	--access-log) ACCESS_LOG=${2:?}; shift 2 ;;
	--app-cpu) APP_CPU=${2:?}; shift 2 ;;
	--upstream-transport) UPSTREAM_TRANSPORT=${2:?}; shift 2 ;;
	--baseline) BASELINE=${2:?}; shift 2 ;;
	-h | --help) usage ;;
	*) echo "load.sh: unknown argument $1" >&2; usage ;;
	esac
done
for v in DURATION ROUNDS THREADS CONNECTIONS SOAK PROXY; do
	case "${!v}" in
	'' | *[!0-9]*) echo "load.sh: $v must be a whole number of seconds or a count, got '${!v}'" >&2; exit 2 ;;
	esac
done
if [ "$DURATION" -lt 1 ] || [ "$ROUNDS" -lt 1 ] || [ "$DURATION" -gt 600 ] || [ "$ROUNDS" -gt 60 ] || [ "$SOAK" -gt 3600 ]; then
	echo "load.sh: need 1 <= duration <= 600, 1 <= rounds <= 60, soak <= 3600" >&2
	exit 2
fi
case "$ACCESS_LOG" in
on | buffered | off) ;;
*) echo "load.sh: --access-log must be on, buffered or off, got '$ACCESS_LOG'" >&2; exit 2 ;;
esac
case "$APP_CPU" in
0 | [0-9]*us | [0-9]*ms) ;;
*) echo "load.sh: --app-cpu must be 0 or a duration in us or ms (e.g. 100us), got '$APP_CPU'" >&2; exit 2 ;;
esac
case "$UPSTREAM_TRANSPORT" in
'' | direct | standard) ;;
*) echo "load.sh: --upstream-transport must be direct or standard, got '$UPSTREAM_TRANSPORT'" >&2; exit 2 ;;
esac
if [ "$PROXY" = 0 ] && { [ "$APP_CPU" != 0 ] || [ -n "$UPSTREAM_TRANSPORT" ]; }; then
	echo "load.sh: --app-cpu and --upstream-transport go with --proxy" >&2
	exit 2
fi
if [ -n "$BASELINE" ]; then
	if [ "$PROXY" = 0 ]; then
		echo "load.sh: --baseline goes with --proxy" >&2
		exit 2
	fi
	if ! base_rev=$(git rev-parse --verify --quiet "$BASELINE^{commit}"); then
		echo "load.sh: --baseline: $BASELINE is not a commit of this repository" >&2
		exit 2
	fi
fi
if [ "$PROXY" != 0 ] && [ "$SOAK" != 0 ]; then
	echo "load.sh: --soak is for the default mode, not --proxy" >&2
	exit 2
fi

if ! command -v wrk >/dev/null; then
	echo "== installing wrk"
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null ||
		{ $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
fi

tmp=$(mktemp -d)
app_pid=""
bare_pid=""
nginx_pid=""
gw_pid=""
base_pid=""
cleanup() {
	for p in $nginx_pid $base_pid $gw_pid $bare_pid $app_pid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$tmp/loadapp" ./bench/loadapp
max_life=$((ROUNDS * 5 * (DURATION + 5) + SOAK + 120))
# --max-life bounds the app even if this script is killed hard.
app_args=(--addr 127.0.0.1:0 --max-life "${max_life}s")
if [ "$PROXY" != 0 ]; then
	go build -o "$tmp/oauthgate" ./cmd/oauthgate
	if [ -n "$BASELINE" ]; then
		echo "== building the baseline gateway at $BASELINE ($base_rev)"
		mkdir "$tmp/base-src"
		git archive "$base_rev" | tar -x -C "$tmp/base-src"
		(cd "$tmp/base-src" && go build -o "$tmp/oauthgate-base" ./cmd/oauthgate)
	fi
	app_args+=(--upstream --gateway-config "$tmp/gateway.yaml" --gateway-addr 127.0.0.1:0 --app-cpu "$APP_CPU")
	if [ -n "$UPSTREAM_TRANSPORT" ]; then app_args+=(--upstream-transport "$UPSTREAM_TRANSPORT"); fi
fi
"$tmp/loadapp" "${app_args[@]}" >"$tmp/app.out" 2>"$tmp/app.err" &
app_pid=$!
for _ in $(seq 100); do
	grep -q '^token=' "$tmp/app.out" 2>/dev/null && break
	kill -0 "$app_pid" 2>/dev/null || break
	sleep 0.1
done
url=$(sed -n 's/^url=//p' "$tmp/app.out")
token=$(sed -n 's/^token=//p' "$tmp/app.out")
if [ -z "$url" ] || [ -z "$token" ]; then
	echo "load.sh: the app did not start:" >&2
	cat "$tmp/app.err" >&2
	exit 1
fi

# start_nginx: nginx as a plain reverse proxy to the app (keep-alive
# upstream connections), in the foreground with its own config, pid, logs
# and temporary files under $tmp/nginx; sets nginx_pid and nginx_url.
start_nginx() {
	local dir="$tmp/nginx" port log
	mkdir -p "$dir"
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	case "$ACCESS_LOG" in
	on) log="access_log $dir/access.log;" ;;
	buffered) log="access_log $dir/access.log combined buffer=64k flush=1s;" ;;
	off) log="access_log off;" ;;
	esac
	cat >"$dir/nginx.conf" <<-EOF
		daemon off;
		master_process on;
		worker_processes 2;
		pid $dir/nginx.pid;
		error_log $dir/error.log warn;
		events { worker_connections 1024; }
		http {
		    $log
		    client_body_temp_path $dir/client_body;
		    proxy_temp_path $dir/proxy;
		    fastcgi_temp_path $dir/fastcgi;
		    uwsgi_temp_path $dir/uwsgi;
		    scgi_temp_path $dir/scgi;
		    upstream app {
		        server ${url#http://};
		        keepalive 64;
		    }
		    server {
		        listen 127.0.0.1:$port;
		        location / {
		            proxy_pass http://app;
		            proxy_http_version 1.1;
		            proxy_set_header Connection "";
		            proxy_set_header Host \$host;
		            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
		        }
		    }
		}
	EOF
	timeout "$max_life" nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/out" 2>&1 &
	local t_pid=$!
	nginx_url="http://127.0.0.1:$port"
	for _ in $(seq 100); do
		curl -fsS --max-time 1 -o /dev/null "$nginx_url/hello" 2>/dev/null && break
		kill -0 "$t_pid" 2>/dev/null || break
		sleep 0.1
	done
	nginx_pid=$(cat "$dir/nginx.pid" 2>/dev/null || true)
	if [ -z "$nginx_pid" ] || [ "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$nginx_url/hello" || true)" != 200 ]; then
		echo "load.sh: nginx did not start:" >&2
		cat "$dir/out" "$dir/error.log" >&2 2>/dev/null || true
		exit 1
	fi
}

# The measured routes (the first is the reference), their URLs, and the
# ratios to print (B/A: B's requests/s over A's).
routes_all="public protected"
ratios="protected/public"
route_url() { echo "$url/$1"; }
server_pids() { echo "$app_pid"; }

if [ "$PROXY" != 0 ]; then
	gateway=$(sed -n 's/^gateway=//p' "$tmp/app.out")
	"$tmp/loadapp" --addr 127.0.0.1:0 --max-life "${max_life}s" --proxy-to "$url" >"$tmp/bare.out" 2>"$tmp/bare.err" &
	bare_pid=$!
	# timeout bounds the gateway even if this script is killed hard; the
	# gateway is its child.
	timeout "$max_life" "$tmp/oauthgate" serve --config "$tmp/gateway.yaml" --access-log "$ACCESS_LOG" >"$tmp/gw.out" 2>"$tmp/gw.err" &
	gw_pid=$!
	for _ in $(seq 100); do
		curl -fsS --max-time 1 -o /dev/null "$gateway/healthz" 2>/dev/null && break
		kill -0 "$gw_pid" 2>/dev/null || break
		sleep 0.1
	done
	gw_child=$(cat "/proc/$gw_pid/task/$gw_pid/children" 2>/dev/null | awk '{ print $1 }')
	bare=$(sed -n 's/^url=//p' "$tmp/bare.out")
	if [ -z "$bare" ] || [ "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$bare/hello" || true)" != 200 ]; then
		echo "load.sh: the bare proxy did not start:" >&2
		cat "$tmp/bare.err" >&2
		exit 1
	fi
	code_with=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$gateway/hello" || true)
	code_without=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$gateway/hello" || true)
	if [ -z "$gw_child" ] || [ "$code_with" != 200 ] || [ "$code_without" != 401 ]; then
		echo "load.sh: the gateway did not start or answers GET /hello with $code_with (token) and $code_without (none); want 200 and 401:" >&2
		cat "$tmp/gw.err" >&2
		exit 1
	fi
	routes_all="direct bare proxy"
	ratios="proxy/direct proxy/bare bare/direct"
	base_child=""
	if [ -n "$BASELINE" ]; then
		# The same configuration on another port.
		gw_addr=${gateway#http://}
		base_addr=127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		sed "s|$gw_addr|$base_addr|g" "$tmp/gateway.yaml" >"$tmp/gateway-base.yaml"
		chmod 600 "$tmp/gateway-base.yaml"
		baseline_url="http://$base_addr"
		timeout "$max_life" "$tmp/oauthgate-base" serve --config "$tmp/gateway-base.yaml" --access-log "$ACCESS_LOG" >"$tmp/base.out" 2>"$tmp/base.err" &
		base_pid=$!
		for _ in $(seq 100); do
			curl -fsS --max-time 1 -o /dev/null "$baseline_url/healthz" 2>/dev/null && break
			kill -0 "$base_pid" 2>/dev/null || break
			sleep 0.1
		done
		base_child=$(cat "/proc/$base_pid/task/$base_pid/children" 2>/dev/null | awk '{ print $1 }')
		code_with=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$baseline_url/hello" || true)
		if [ -z "$base_child" ] || [ "$code_with" != 200 ]; then
			echo "load.sh: the baseline gateway did not start or answers GET /hello with $code_with; want 200:" >&2
			cat "$tmp/base.err" >&2
			exit 1
		fi
		routes_all="$routes_all baseline"
		ratios="$ratios proxy/baseline"
	fi
	nginx_url=""
	if command -v nginx >/dev/null && command -v python3 >/dev/null; then
		start_nginx
		routes_all="$routes_all nginx"
		ratios="$ratios nginx/direct proxy/nginx"
	else
		echo "== nginx or python3 is not installed: no nginx row"
	fi
	route_url() {
		case "$1" in
		direct) echo "$url/hello" ;;
		bare) echo "$bare/hello" ;;
		proxy) echo "$gateway/hello" ;;
		baseline) echo "$baseline_url/hello" ;;
		nginx) echo "$nginx_url/hello" ;;
		esac
	}
	# With nginx, its master's children (the workers) count too; they are
	# read again at each call.
	server_pids() {
		echo "$app_pid $bare_pid $gw_child $base_child"
		if [ -n "$nginx_pid" ]; then
			echo "$nginx_pid $(cat "/proc/$nginx_pid/task/$nginx_pid/children" 2>/dev/null || true)"
		fi
	}
fi

# run_wrk ROUTE SECONDS OUTFILE: one wrk run, with the token.
run_wrk() {
	timeout "$(($2 + 30))" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2s" --latency \
		-H "Authorization: Bearer $token" "$(route_url "$1")" >"$3"
	if grep -q 'Non-2xx or 3xx responses' "$3"; then
		echo "load.sh: $1 answered errors:" >&2
		cat "$3" >&2
		exit 1
	fi
}

# parse FILE: prints "requests/s p50_us p99_us requests".
parse() {
	awk '
	function us(v) {
		if (v ~ /us$/) return v + 0
		if (v ~ /ms$/) return (v + 0) * 1000
		if (v ~ /s$/) return (v + 0) * 1000000
		return v + 0
	}
	/^Requests\/sec:/ { rps = $2 }
	/ requests in / { total = $1 }
	$1 == "50%" { p50 = us($2) }
	$1 == "99%" { p99 = us($2) }
	END { printf "%.0f %.0f %.0f %d\n", rps, p50, p99, total }' "$1"
}

# cpu_ticks: the servers' user+system CPU time so far, in clock ticks (the
# app's; with --proxy, the app's and the gateway's). CPU time per request
# is a steadier measure than requests/s on a machine whose other load
# changes: it counts only the servers' own work.
cpu_ticks() {
	local t=0 p
	for p in $(server_pids); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}
tick_us=$((1000000 / $(getconf CLK_TCK)))

heap() {
	curl -sS --max-time 30 "$url/debug/heap"
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(go version | cut -d' ' -f3)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$PROXY" != 0 ]; then
	echo "== wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, $ROUNDS rounds, app at $url, gateway at $gateway (--access-log $ACCESS_LOG, --app-cpu $APP_CPU, upstream_transport ${UPSTREAM_TRANSPORT:-default}${BASELINE:+, baseline $BASELINE})"
else
	echo "== wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, $ROUNDS rounds, app at $url"
fi
for route in $routes_all; do
	run_wrk "$route" 2 "$tmp/warm-$route"
done

printf '%-6s %-10s %12s %10s %10s %12s\n' round route "requests/s" "p50 µs" "p99 µs" "CPU µs/req"
: >"$tmp/results"
for round in $(seq "$ROUNDS"); do
	# Rotate which route goes first, so that none always follows another.
	read -ra rs <<<"$routes_all"
	routes=""
	for i in "${!rs[@]}"; do routes="$routes ${rs[$(((i + round - 1) % ${#rs[@]}))]}"; done
	for route in $routes; do
		t0=$(cpu_ticks)
		run_wrk "$route" "$DURATION" "$tmp/run-$round-$route"
		t1=$(cpu_ticks)
		read -r rps p50 p99 total < <(parse "$tmp/run-$round-$route")
		cpu=$(awk -v t="$((t1 - t0))" -v us="$tick_us" -v n="$total" 'BEGIN { printf "%.2f", n ? t * us / n : 0 }')
		printf '%-6s %-10s %12s %10s %10s %12s\n' "$round" "$route" "$rps" "$p50" "$p99" "$cpu"
		echo "$round $route $rps $p50 $p99 $cpu" >>"$tmp/results"
	done
done

echo "== summary (medians over $ROUNDS rounds)"
cpu_who="app"
if [ "$PROXY" != 0 ]; then cpu_who="servers"; fi
awk -v routes="$routes_all" -v ratios="$ratios" -v who="$cpu_who" '
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{
	n[$2]++; rps[$2, n[$2]] = $3; p50[$2, n[$2]] = $4; p99[$2, n[$2]] = $5; cpu[$2, n[$2]] = $6
	byround[$1, $2] = $3; cpuround[$1, $2] = $6
	rounds[$1] = 1
}
END {
	printf "%-10s %12s %10s %10s %14s\n", "route", "requests/s", "p50 µs", "p99 µs", who " CPU µs/req"
	nroutes = split(routes, rl, " ")
	for (k = 1; k <= nroutes; k++) {
		r = rl[k]
		for (i = 1; i <= n[r]; i++) { a[i] = rps[r, i]; b[i] = p50[r, i]; c[i] = p99[r, i]; d[i] = cpu[r, i] }
		m[r] = median(a, n[r]); mc[r] = median(d, n[r])
		printf "%-10s %12.0f %10.0f %10.0f %14.2f\n", r, m[r], median(b, n[r]), median(c, n[r]), mc[r]
	}
	# Each round runs the routes back to back, so the per-round ratio is
	# the least disturbed by a machine whose load changes.
	nratios = split(ratios, pl, " ")
	for (k = 1; k <= nratios; k++) {
		split(pl[k], ab, "/"); B = ab[1]; A = ab[2]
		line = ""; cline = ""; nr = 0
		for (x = 1; (x, A) in byround; x++) {
			nr++
			q[nr] = 100 * byround[x, B] / byround[x, A]
			cq[nr] = cpuround[x, B] > 0 ? 100 * cpuround[x, A] / cpuround[x, B] : 0
			line = line sprintf(" %.1f", q[nr]); cline = cline sprintf(" %.1f", cq[nr])
		}
		printf "%s/%s requests/s: %.1f%% (median of the per-round ratios; ratio of the medians %.1f%%)\n", B, A, median(q, nr), 100 * m[B] / m[A]
		printf "  per round (%%):%s\n", line
		printf "%s/%s %s CPU per request: %.1f%% (median of the per-round ratios; the server-bound capacity ratio)\n", A, B, who, median(cq, nr)
		printf "  per round (%%):%s\n", cline
	}
}' "$tmp/results"

if [ "$SOAK" -gt 0 ]; then
	echo "== soak: GET /protected for ${SOAK}s"
	field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$2"; }
	before=$(heap)
	run_wrk protected "$SOAK" "$tmp/soak" &
	wrk_pid=$!
	# A sample every 15 s shows the trend, not only the two ends.
	for i in $(seq $(((SOAK - 1) / 15))); do
		sleep 15
		kill -0 "$wrk_pid" 2>/dev/null || break
		echo "after $((i * 15)) s: heap_alloc $(field heap_alloc "$(heap)")"
	done
	wait "$wrk_pid"
	after=$(heap)
	read -r rps p50 p99 _ < <(parse "$tmp/soak")
	echo "requests/s $rps, p50 ${p50} µs, p99 ${p99} µs"
	echo "heap before: $before"
	echo "heap after:  $after"
	for f in heap_alloc heap_inuse heap_objects; do
		b=$(field "$f" "$before") a=$(field "$f" "$after")
		printf '%-13s %12s -> %12s  (%+d)\n' "$f" "$b" "$a" "$((a - b))"
	done
fi
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

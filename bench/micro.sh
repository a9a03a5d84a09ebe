#!/usr/bin/env bash
# Runs the benchmarks behind the performance targets in rounds (each round
# runs every benchmark once, so that a busy machine slows all of them
# alike), then prints the medians, the middleware's overhead over the
# unprotected route (median of the per-round differences) and each target.
#
#   bench/micro.sh [--rounds 3] [--benchtime 1s]
#
# Environment: ROUNDS, BENCHTIME (same meaning). About 40 s per round.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
BENCHTIME=${BENCHTIME:-1s}
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) ROUNDS=${2:?}; shift 2 ;;
	--benchtime) BENCHTIME=${2:?}; shift 2 ;;
	*) echo "micro.sh: unknown argument $1 (want --rounds N, --benchtime D)" >&2; exit 2 ;;
	esac
done
case "$ROUNDS" in '' | *[!0-9]* | 0) echo "micro.sh: --rounds must be a positive count" >&2; exit 2 ;; esac
if [ "$ROUNDS" -gt 20 ]; then echo "micro.sh: at most 20 rounds" >&2; exit 2; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for p in auth capabilities authtest; do
	go test -c -o "$tmp/$p.test" "./$p"
done

# bench PKG PATTERN BENCHTIME: one run of some benchmarks of a package,
# from the package's folder as `go test` does.
bench() {
	(cd "$1" && timeout 600 "$tmp/$1.test" -test.run '^$' -test.bench "$2" -test.benchmem \
		-test.benchtime "$3" -test.count 1) | grep '^Benchmark' || {
		echo "micro.sh: benchmarks of $1 failed" >&2
		exit 1
	}
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(go version | cut -d' ' -f3)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
	echo "== round $round/$ROUNDS" >&2
	{
		bench auth '^(BenchmarkUnprotected|BenchmarkRequire(Session|Bearer|Service)(Hot|Cold))$' "$BENCHTIME"
		bench capabilities '^(BenchmarkHas10k|BenchmarkLoad100kUsers|BenchmarkDurableUpdate100kUsers)$' "$BENCHTIME"
		bench authtest '^BenchmarkFullLogin$' "$BENCHTIME"
		bench authtest '^BenchmarkImpersonate1000$' 1x
	} | sed "s/^/$round /" | tee -a "$tmp/results" >&2
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

awk -v rounds="$ROUNDS" '
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
function med(name, field,   i, a) {
	for (i = 1; i <= n[name]; i++) a[i] = v[name, i, field]
	return median(a, n[name])
}
function human(ns) {
	if (ns >= 1e9) return sprintf("%.2f s", ns / 1e9)
	if (ns >= 1e6) return sprintf("%.2f ms", ns / 1e6)
	if (ns >= 1e4) return sprintf("%.1f µs", ns / 1e3)
	return sprintf("%.1f ns", ns)
}
function verdict(ok) { return ok ? "ok" : "MISSED" }
{
	name = $2; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
	if (!(name in n)) order[++names] = name
	k = ++n[name]
	round[name, k] = $1
	for (f = 4; f < NF; f++) {
		if ($(f+1) == "ns/op") v[name, k, "ns"] = $f
		if ($(f+1) == "cpu-ns/op") v[name, k, "cpu"] = $f
		if ($(f+1) == "B/op") v[name, k, "B"] = $f
		if ($(f+1) == "allocs/op") v[name, k, "allocs"] = $f
	}
	byround[$1, name, "ns"] = v[name, k, "ns"]
	byround[$1, name, "allocs"] = v[name, k, "allocs"]
	if ((name, k, "cpu") in v) byround[$1, name, "cpu"] = v[name, k, "cpu"]
}
END {
	printf "\n%-24s %12s %10s %10s %10s   %s\n", "benchmark", "ns/op", "cpu-ns/op", "B/op", "allocs/op", "ns/op per round"
	for (i = 1; i <= names; i++) {
		b = order[i]; line = ""
		for (k = 1; k <= n[b]; k++) line = line " " v[b, k, "ns"]
		printf "%-24s %12s %10s %10d %10d  %s\n", b, human(med(b, "ns")), (b, 1, "cpu") in v ? sprintf("%.0f", med(b, "cpu")) : "-", med(b, "B"), med(b, "allocs"), line
	}
	printf "\noverhead over Unprotected (median of the per-round differences)\n"
	printf "(cpu-ns/op is the process CPU time per op: it includes the collector on the other core and not\n"
	printf "the time other processes take, so it is steadier than ns/op on a busy machine)\n"
	printf "%-24s %10s %10s %8s   %-26s\n", "benchmark", "+ns/op", "+cpu-ns/op", "+allocs", "target"
	split("SessionHot SessionCold BearerHot BearerCold ServiceHot ServiceCold", kinds, " ")
	for (i = 1; i <= 6; i++) {
		b = "Require" kinds[i]
		if (!(b in n)) continue
		cnt = 0; delete d; delete da; delete dc
		for (r = 1; r <= rounds; r++) {
			if (((r, b, "ns") in byround) && ((r, "Unprotected", "ns") in byround)) {
				cnt++
				d[cnt] = byround[r, b, "ns"] - byround[r, "Unprotected", "ns"]
				da[cnt] = byround[r, b, "allocs"] - byround[r, "Unprotected", "allocs"]
				dc[cnt] = byround[r, b, "cpu"] - byround[r, "Unprotected", "cpu"]
			}
		}
		dn = median(d, cnt); dallocs = median(da, cnt); dcpu = median(dc, cnt)
		if (b ~ /Hot$/) { target = "<= 1000 ns, <= 4 allocs"; ok = dn <= 1000 && dallocs <= 4 }
		else { target = "<= 5000 ns"; ok = dn <= 5000 }
		printf "%-24s %10s %10s %8d   %-26s %s\n", b, sprintf("+%.0f", dn), sprintf("+%.0f", dcpu), dallocs, target, verdict(ok)
	}
	printf "\n%-24s %10s %8s   %-26s\n", "benchmark", "median", "allocs", "target"
	if ("Has10k" in n) printf "%-24s %10s %8d   %-26s %s\n", "Has10k", human(med("Has10k", "ns")), med("Has10k", "allocs"), "<= 50 ns, 0 allocs", verdict(med("Has10k", "ns") <= 50 && med("Has10k", "allocs") == 0)
	if ("FullLogin" in n) printf "%-24s %10s %8d   %-26s %s\n", "FullLogin", human(med("FullLogin", "ns")), med("FullLogin", "allocs"), "<= 3 ms", verdict(med("FullLogin", "ns") <= 3e6)
	if ("Load100kUsers" in n) printf "%-24s %10s %8d   %-26s %s\n", "Load100kUsers", human(med("Load100kUsers", "ns")), med("Load100kUsers", "allocs"), "<= 1 s", verdict(med("Load100kUsers", "ns") <= 1e9)
	if ("DurableUpdate100kUsers" in n) printf "%-24s %10s %8d   %-26s %s\n", "DurableUpdate100kUsers", human(med("DurableUpdate100kUsers", "ns")), med("DurableUpdate100kUsers", "allocs"), "<= 50 ms", verdict(med("DurableUpdate100kUsers", "ns") <= 5e7)
	if ("Impersonate1000" in n) printf "%-24s %10s %8d   %-26s %s\n", "Impersonate1000", human(med("Impersonate1000", "ns")), med("Impersonate1000", "allocs"), "<= 2 s", verdict(med("Impersonate1000", "ns") <= 2e9)
}' "$tmp/results"

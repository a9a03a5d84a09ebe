#!/usr/bin/env bash
# Runs the benchmarks behind the performance targets in rounds (each round
# runs every benchmark once, so that a busy machine slows all of them
# alike), then prints the medians, the middleware's overhead over the
# unprotected route (median of the per-round differences) and each target.
#
# --baseline REV also builds the same benchmarks from the git revision REV
# (a commit, tag or branch of this repository), wherever each lives there
# (they are found by name, so a benchmark that moved package is still
# compared), runs both trees in every round, alternating which goes first,
# and prints each benchmark's ratio to the baseline. A benchmark defined in
# more than one package of a tree, or missing from either tree, is an
# error: rename it, or give it an alias (NEW=OLD below).
#
#   bench/micro.sh [--rounds 3] [--benchtime 1s] [--baseline REV] [--only NAME,...]
#
# --only runs the named benchmarks of the list below and no others.
# Environment: ROUNDS, BENCHTIME, BASELINE, ONLY (same meaning). About a
# minute per round (twice that with a baseline).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
BENCHTIME=${BENCHTIME:-1s}
BASELINE=${BASELINE:-}
ONLY=${ONLY:-}
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) ROUNDS=${2:?}; shift 2 ;;
	--benchtime) BENCHTIME=${2:?}; shift 2 ;;
	--baseline) BASELINE=${2:?}; shift 2 ;;
	--only) ONLY=${2:?}; shift 2 ;;
	*) echo "micro.sh: unknown argument $1 (want --rounds N, --benchtime D, --baseline REV, --only NAME,...)" >&2; exit 2 ;;
	esac
done
case "$ROUNDS" in '' | *[!0-9]* | 0) echo "micro.sh: --rounds must be a positive count" >&2; exit 2 ;; esac
if [ "$ROUNDS" -gt 20 ]; then echo "micro.sh: at most 20 rounds" >&2; exit 2; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The benchmarks behind the targets and of the code they run through,
# each NAME[:BENCHTIME] (default --benchtime). A benchmark renamed since a
# baseline is NEW=OLD[:BENCHTIME]: the baseline tree is searched for OLD,
# whose results are shown as NEW's.
benches="Unprotected RequireSessionHot RequireSessionCold RequireBearerHot RequireBearerCold
RequireServiceHot RequireServiceCold Has10k Load100kUsers DurableUpdate100kUsers FullLogin
Impersonate1000:1x RequireMachineHot RequireMachineCold RequireOwnTokenHot RequireOwnTokenCold
AuthorizeGatewayHot AuthorizeGatewayCold Open BearerToken IssueClientToken:20x"

if [ -n "$ONLY" ]; then
	picked=""
	for want in ${ONLY//,/ }; do
		found=""
		for b in $benches; do
			name=${b%%:*}
			if [ "${name%%=*}" = "$want" ]; then found=$b; fi
		done
		if [ -z "$found" ]; then
			echo "micro.sh: --only: $want is not one of:" $(for b in $benches; do n=${b%%:*}; echo "${n%%=*}"; done) >&2
			exit 2
		fi
		picked="$picked $found"
	done
	benches=$picked
fi

trees="new"
if [ -n "$BASELINE" ]; then
	if ! base_rev=$(git rev-parse --verify --quiet "$BASELINE^{commit}"); then
		echo "micro.sh: --baseline: $BASELINE is not a commit of this repository" >&2
		exit 2
	fi
	mkdir "$tmp/base"
	git archive "$base_rev" | tar -x -C "$tmp/base"
	trees="new base"
fi

# tree_dir TREE: the folder of a tree's sources.
tree_dir() { if [ "$1" = base ]; then echo "$tmp/base"; else pwd; fi; }

# locate TREE NAME: the package folder, relative to the tree, of the test
# files that define BenchmarkNAME ("." for the root). It fails when there
# is none, or when several packages define it (a comparison would then
# depend on which one a search finds first).
locate() {
	local dirs
	dirs=$(cd "$(tree_dir "$1")" && grep -rl --include='*_test.go' --exclude-dir=testdata "^func Benchmark$2(" . 2>/dev/null |
		xargs -r -n1 dirname | sed 's|^\./||' | sort -u)
	case "$(printf '%s' "$dirs" | grep -c .)" in
	0) echo "micro.sh: Benchmark$2 is defined in no package of the $1 tree" >&2; return 1 ;;
	1) echo "$dirs" ;;
	*) echo "micro.sh: Benchmark$2 is defined in several packages of the $1 tree:" $dirs >&2; return 1 ;;
	esac
}

# The runs: "TREE DIR PATTERN BENCHTIME" lines, one test binary per
# (TREE, DIR), built once; renames.sed turns a baseline's OLD names into
# their NEW ones.
: >"$tmp/runs"
: >"$tmp/renames.sed"
for tree in $trees; do
	dirs=""
	for b in $benches; do
		name=${b%%:*}
		bt=${b#*:}
		if [ "$bt" = "$b" ]; then bt=""; fi
		case "$name" in
		*=*)
			if [ "$tree" = base ]; then
				echo "s|^Benchmark${name#*=}\([-/[:space:]]\)|Benchmark${name%%=*}\1|" >>"$tmp/renames.sed"
				name=${name#*=}
			else
				name=${name%%=*}
			fi
			;;
		esac
		dir=$(locate "$tree" "$name") || exit 1
		echo "$tree $dir $name ${bt:-$BENCHTIME}" >>"$tmp/runs"
		case " $dirs " in *" $dir "*) ;; *) dirs="$dirs $dir" ;; esac
	done
	for dir in $dirs; do
		(cd "$(tree_dir "$tree")" && go test -c -o "$tmp/$tree-${dir//\//_}.test" "./$dir")
	done
done

# bench TREE DIR PATTERN BENCHTIME: one run of some benchmarks of a
# package, from the package's folder as `go test` does; the baseline's
# are named base:NAME.
bench() {
	local rename=""
	if [ "$1" = base ]; then rename="$tmp/renames.sed"; fi
	(cd "$(tree_dir "$1")/$2" && timeout 600 "$tmp/$1-${2//\//_}.test" -test.run '^$' -test.bench "$3" -test.benchmem \
		-test.benchtime "$4" -test.count 1) | grep '^Benchmark' | sed -f "${rename:-/dev/null}" | sed "${rename:+s/^Benchmark/Benchmarkbase:/}" || {
		echo "micro.sh: benchmarks of $2 ($1 tree) failed" >&2
		exit 1
	}
}

# run_tree TREE: every benchmark of a tree, those of one package and
# benchtime in one run, in the order of $benches.
run_tree() {
	awk -v tree="$1" '$1 == tree { k = $2 " " $4; if (!(k in pat)) { order[++n] = k; pat[k] = $3 } else pat[k] = pat[k] "|" $3 }
		END { for (i = 1; i <= n; i++) { split(order[i], a, " "); print a[1], "^Benchmark(" pat[order[i]] ")$", a[2] } }' "$tmp/runs" |
		while read -r dir pattern bt; do bench "$1" "$dir" "$pattern" "$bt"; done
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(go version | cut -d' ' -f3)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
	echo "== round $round/$ROUNDS" >&2
	{
		if [ $((round % 2)) = 1 ]; then order="$trees"; else order=$(echo "$trees" | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }'); fi
		for tree in $order; do run_tree "$tree"; done
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
	printf "\n%-30s %12s %10s %10s %10s   %s\n", "benchmark", "ns/op", "cpu-ns/op", "B/op", "allocs/op", "ns/op per round"
	for (i = 1; i <= names; i++) {
		b = order[i]; line = ""
		for (k = 1; k <= n[b]; k++) line = line " " v[b, k, "ns"]
		printf "%-30s %12s %10s %10d %10d  %s\n", b, human(med(b, "ns")), (b, 1, "cpu") in v ? sprintf("%.0f", med(b, "cpu")) : "-", med(b, "B"), med(b, "allocs"), line
	}
	printf "\noverhead over Unprotected (median of the per-round differences)\n"
	printf "(cpu-ns/op is the process CPU time per op: it includes the collector on the other core and not\n"
	printf "the time other processes take, so it is steadier than ns/op on a busy machine)\n"
	printf "%-30s %10s %10s %8s   %-26s\n", "benchmark", "+ns/op", "+cpu-ns/op", "+allocs", "target"
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
		printf "%-30s %10s %10s %8d   %-26s %s\n", b, sprintf("+%.0f", dn), sprintf("+%.0f", dcpu), dallocs, target, verdict(ok)
	}
	printf "\n%-30s %10s %8s   %-26s\n", "benchmark", "median", "allocs", "target"
	if ("Has10k" in n) printf "%-30s %10s %8d   %-26s %s\n", "Has10k", human(med("Has10k", "ns")), med("Has10k", "allocs"), "<= 50 ns, 0 allocs", verdict(med("Has10k", "ns") <= 50 && med("Has10k", "allocs") == 0)
	if ("FullLogin" in n) printf "%-30s %10s %8d   %-26s %s\n", "FullLogin", human(med("FullLogin", "ns")), med("FullLogin", "allocs"), "<= 3 ms", verdict(med("FullLogin", "ns") <= 3e6)
	if ("Load100kUsers" in n) printf "%-30s %10s %8d   %-26s %s\n", "Load100kUsers", human(med("Load100kUsers", "ns")), med("Load100kUsers", "allocs"), "<= 1 s", verdict(med("Load100kUsers", "ns") <= 1e9)
	if ("DurableUpdate100kUsers" in n) printf "%-30s %10s %8d   %-26s %s\n", "DurableUpdate100kUsers", human(med("DurableUpdate100kUsers", "ns")), med("DurableUpdate100kUsers", "allocs"), "<= 50 ms", verdict(med("DurableUpdate100kUsers", "ns") <= 5e7)
	if ("Impersonate1000" in n) printf "%-30s %10s %8d   %-26s %s\n", "Impersonate1000", human(med("Impersonate1000", "ns")), med("Impersonate1000", "allocs"), "<= 2 s", verdict(med("Impersonate1000", "ns") <= 2e9)
	header = 0
	for (i = 1; i <= names; i++) {
		b = order[i]; base = "base:" b
		if (b ~ /^base:/ || !(base in n)) continue
		if (!header) {
			printf "\nagainst the baseline (new/baseline, median of the per-round ratios)\n"
			printf "%-30s %10s %10s %14s %14s   %s\n", "benchmark", "ns/op", "cpu-ns/op", "allocs/op", "B/op", "per round (ns/op %)"
			header = 1
		}
		cnt = 0; ccnt = 0; delete q; delete cq; line = ""
		for (r = 1; r <= rounds; r++) {
			if (((r, b, "ns") in byround) && ((r, base, "ns") in byround) && byround[r, base, "ns"] > 0) {
				q[++cnt] = 100 * byround[r, b, "ns"] / byround[r, base, "ns"]
				line = line sprintf(" %.1f", q[cnt])
				if (((r, b, "cpu") in byround) && ((r, base, "cpu") in byround) && byround[r, base, "cpu"] > 0) cq[++ccnt] = 100 * byround[r, b, "cpu"] / byround[r, base, "cpu"]
			}
		}
		printf "%-30s %9.1f%% %10s %14s %14s  %s\n", b, median(q, cnt), ccnt ? sprintf("%.1f%%", median(cq, ccnt)) : "-", sprintf("%d vs %d", med(b, "allocs"), med(base, "allocs")), sprintf("%d vs %d", med(b, "B"), med(base, "B")), line
	}
}' "$tmp/results"

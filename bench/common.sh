# bench/common.sh, sourced by the benchmarks: a work folder and a throwaway PostgreSQL cluster in
# it (default settings, fsync on, Unix socket only), run as the postgres user when we are root
# (PostgreSQL refuses root), so the folder is made reachable (0755); and a `setpost serve`.
#   bench_pg_start NAME   makes $work under $dir (NAME-run.XXXXXX), starts the cluster; sets
#                         $PGBIN, $RUN, $db (a libpq connection string) and $pgpid
#   bench_pg_stop         stops the cluster and removes $work (call it from the cleanup trap)
#   bench_serve TAG DATA [ARGS...]
#                         starts "$sp" serve --listen 127.0.0.1:0 --data DATA ARGS, its output
#                         in $work/TAG.out and TAG.log; waits for it to listen (120 s at most:
#                         a loaded machine, and its own PostgreSQL to create without --database-url);
#                         sets $bench_pid and $bench_url (the caller keeps the pid to stop it)
# The caller sets $dir first and chooses its own cleanup, which calls bench_pg_stop last.
bench_pg_started=0
bench_pg_start() {
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -x "$PGBIN/initdb" ] || { echo "$1 bench: PostgreSQL's initdb not found (make deps)" >&2; exit 1; }
	mkdir -p "$dir"
	work=$(mktemp -d "$dir/$1-run.XXXXXX")
	chmod 755 "$work"
	RUN=""
	if [ "$(id -u)" -eq 0 ]; then
		RUN="runuser -u postgres --"
		mkdir -p "$work/pg" "$work/pgrun" && chown postgres "$work/pg" "$work/pgrun"
	fi
	$RUN "$PGBIN/initdb" -D "$work/pg" -U setpost --auth=trust -E UTF8 --locale=C >"$work/initdb.log" 2>&1 ||
		{ cat "$work/initdb.log" >&2; exit 1; }
	$RUN "$PGBIN/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w start \
		-o "-c listen_addresses='' -c unix_socket_directories='$work/pgrun'" >/dev/null ||
		{ tail -n 20 "$work/pg/server.log" >&2; exit 1; }
	bench_pg_started=1
	db="host=$work/pgrun user=setpost dbname=postgres"
	pgpid=$(head -n 1 "$work/pg/postmaster.pid")
}
bench_pg_stop() {
	[ "$bench_pg_started" -eq 0 ] || $RUN "$PGBIN/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true
	[ -z "${work:-}" ] || rm -rf "$work"
}
bench_serve() {
	local tag=$1 data=$2
	shift 2
	"$sp" serve --listen 127.0.0.1:0 --data "$data" "$@" >"$work/$tag.out" 2>"$work/$tag.log" &
	bench_pid=$!
	for _ in $(seq 1 1200); do
		grep -qs "listening on" "$work/$tag.out" && break
		kill -0 "$bench_pid" 2>/dev/null || { tail -n 5 "$work/$tag.log" >&2; exit 1; }
		sleep 0.1
	done
	bench_url=$(sed -n 's/.*listening on //p' "$work/$tag.out" | tail -n 1)
	[ -n "$bench_url" ] || { echo "bench: setpost serve did not start" >&2; tail -n 5 "$work/$tag.log" >&2; exit 1; }
}

# --- measuring on a shared machine -------------------------------------------------------------
# Every benchmark says the machine's load when it starts and ends (bench_begin, bench_end),
# repeats each side SETPOST_BENCH_ROUNDS times taking turns (bench_interleave: A B, B A, A B...,
# so load that drifts during the run hits both sides alike), keeps every sample (bench_record)
# and reports medians and spreads (bench_row) and each ratio against its target (bench_ratio):
# the median of the per-round ratios, their range, and "noisy" when that range is wider than the
# median's margin to the target (the verdict could flip on another run).
# SETPOST_BENCH_SMOKE=1 (make bench-smoke, the bench stage of make test) asks every benchmark
# for its smallest size: seconds, to show it runs and prints its ratio lines, not to measure.
#   bench_size FULL SMOKE      echoes FULL, or SMOKE under SETPOST_BENCH_SMOKE=1
#   bench_begin NAME           prints the load; sets $bench_rounds (default 5, smoke 1)
#   bench_end                  prints the load again
#   bench_interleave FN...     runs the functions once per round, in reverse order every other
#                              round; $bench_round is the round (1..)
#   bench_record NAME VALUE    appends a sample (call it in the main shell, not a subshell)
#   bench_median NAME, bench_min NAME, bench_max NAME
#   bench_row LABEL NAME UNIT  "LABEL  median UNIT  (min-max, N rounds)"
#   bench_ratio LABEL NUM DEN OP TARGET
#                              per round NUM/DEN (e.g. curl's seconds over setpost's: a rate
#                              ratio); prints "ratio LABEL: M (min-max over N rounds) target
#                              OP TARGET: PASS|MISS[, noisy]"
#   bench_target LABEL NAME OP TARGET
#                              the same for the samples themselves ("target LABEL: ..."), e.g.
#                              a p99 in ms against its limit
bench_smoke=${SETPOST_BENCH_SMOKE:-0}
declare -A bench_samples=()
bench_size() { if [ "$bench_smoke" = 1 ]; then echo "$2"; else echo "$1"; fi; }
bench_load() { echo "== load at $1: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) on $(nproc) cores, $(date -u +%FT%TZ)"; }
bench_begin() {
	bench_name=$1
	bench_rounds=${SETPOST_BENCH_ROUNDS:-$(bench_size 5 1)}
	bench_load "start of $1"
	[ "$bench_smoke" != 1 ] || echo "== smoke run (SETPOST_BENCH_SMOKE=1): smallest sizes, figures not meaningful"
}
bench_end() { bench_load "end of $bench_name"; }
bench_interleave() { # (its index has a name of its own: the functions it calls may set $i)
	local _bench_fns=("$@") _bench_k
	for bench_round in $(seq 1 "$bench_rounds"); do
		echo "   round $bench_round of $bench_rounds ($(cut -d' ' -f1 /proc/loadavg) load)"
		if [ $((bench_round % 2)) -eq 1 ]; then
			for ((_bench_k = 0; _bench_k < ${#_bench_fns[@]}; _bench_k++)); do "${_bench_fns[$_bench_k]}"; done
		else
			for ((_bench_k = ${#_bench_fns[@]} - 1; _bench_k >= 0; _bench_k--)); do "${_bench_fns[$_bench_k]}"; done
		fi
	done
}
bench_record() { bench_samples[$1]="${bench_samples[$1]:-} $2"; }
_bench_stat() { # _bench_stat median|min|max|n VALUES...
	local what=$1
	shift
	printf '%s\n' "$@" | sort -g | awk -v w="$what" '{ v[NR] = $1 } END {
		if (w == "n") print NR; else if (w == "min") print v[1]; else if (w == "max") print v[NR];
		else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
bench_median() { _bench_stat median ${bench_samples[$1]}; }
bench_min() { _bench_stat min ${bench_samples[$1]}; }
bench_max() { _bench_stat max ${bench_samples[$1]}; }
bench_row() { # bench_row LABEL NAME UNIT [FORMAT]
	local f=${4:-%.3f}
	printf "   %-58s $f %s  ($f-$f, %d rounds)\n" "$1" "$(bench_median "$2")" "$3" \
		"$(bench_min "$2")" "$(bench_max "$2")" "$(_bench_stat n ${bench_samples[$2]})"
}
bench_ratio() { # bench_ratio LABEL NUM DEN OP TARGET
	local num=(${bench_samples[$2]}) den=(${bench_samples[$3]}) r=() i
	for i in "${!num[@]}"; do r+=("$(awk "BEGIN { d = ${den[$i]}; printf \"%.4f\", d ? ${num[$i]} / d : 0 }")"); done
	_bench_verdict ratio "$1" "$4" "$5" "${r[@]}"
}
bench_target() { # bench_target LABEL NAME OP TARGET: the samples themselves against the target
	_bench_verdict target "$1" "$3" "$4" ${bench_samples[$2]}
}
_bench_verdict() { # _bench_verdict WORD LABEL OP TARGET VALUES...
	local word=$1 label=$2 op=$3 target=$4 med min max
	shift 4
	med=$(_bench_stat median "$@") min=$(_bench_stat min "$@") max=$(_bench_stat max "$@")
	awk -v w="$word" -v l="$label" -v m="$med" -v lo="$min" -v hi="$max" -v n="$#" -v op="$op" -v t="$target" 'BEGIN {
		pass = (op == ">=") ? m >= t : (op == "<") ? m < t : m <= t
		margin = m - t; if (margin < 0) margin = -margin
		printf "%s %s: %.2f (median of %d rounds, %.2f-%.2f, spread %.2f) target %s %s: %s%s\n",
			w, l, m, n, lo, hi, hi - lo, op, t, pass ? "PASS" : "MISS", (hi - lo > margin) ? ", noisy" : "" }'
}

# --- where the time goes: perf, on request ---------------------------------------------------
# SETPOST_BENCH_PERF=DIR: after its rounds, a benchmark that supports it (upload, pull) runs one
# more round of its setpost side under `perf record` (client and server), not timed, and prints
# the top functions of each (DIR/NAME.data and DIR/NAME.txt are kept).
#   bench_perf_attach NAME PID   records PID until bench_perf_report
#   bench_perf_run NAME CMD...   runs CMD under perf record
#   bench_perf_report            stops the attached recorders, prints each profile's top lines
bench_perf_names=() bench_perf_pids=()
bench_perf_attach() {
	mkdir -p "$SETPOST_BENCH_PERF"
	perf record -q -g -p "$2" -o "$SETPOST_BENCH_PERF/$1.data" >/dev/null 2>&1 &
	bench_perf_pids+=($!)
	bench_perf_names+=("$1")
	sleep 0.5 # perf attaches
}
bench_perf_run() {
	local name=$1
	shift
	mkdir -p "$SETPOST_BENCH_PERF"
	perf record -q -g -o "$SETPOST_BENCH_PERF/$name.data" -- "$@"
	bench_perf_names+=("$name")
}
bench_perf_report() {
	local p n
	for p in "${bench_perf_pids[@]}"; do kill -INT "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	for n in "${bench_perf_names[@]}"; do
		perf report -i "$SETPOST_BENCH_PERF/$n.data" --no-children --stdio --sort dso,symbol \
			-g none --percent-limit 1.5 2>/dev/null | grep -v '^#' | grep -v '^$' >"$SETPOST_BENCH_PERF/$n.txt" || true
		echo "== perf: $n, top functions (self time, of its samples)"
		head -n 15 "$SETPOST_BENCH_PERF/$n.txt" | sed "s/^/   /; s/[ -]*$//"
	done
	bench_perf_names=() bench_perf_pids=()
}

#!/bin/bash
# Job queue and event log benchmark (issue 20): what one PostgreSQL sustains.
#  (a) jobs claimed and finished per second with N = 1, 2, 4, 8 workers (each a process of its
#      own with one slot, the real worker loop of lib/store/worker.c: claim FOR UPDATE SKIP
#      LOCKED, heartbeat thread, LISTEN/NOTIFY wake-ups, outcome recorded, a log line each) on
#      jobs that do nothing (kind bench_noop, in build/bench/jobrate only): M jobs queued, then
#      the workers started; the rate is M over the time from the first claim to the last finish
#      as the jobs table records them (started_at, finished_at);
#  (b) events recorded per second (lib/store/event.c: an INSERT and its NOTIFY each, as the
#      server records every write) by 1 and 4 writers at once.
# Rounds take turns (the order reversed every other round). The figures are the database's
# ceiling for queue bookkeeping on this machine, not a transcode rate.
#   bench/jobs.sh [PATH_TO_SETPOST]        (default build/setpost; used for its migrations)
# SETPOST_BENCH_JOBS (default 2000 jobs a run), SETPOST_BENCH_EVENTS (default 2000 a writer),
# SETPOST_BENCH_WORKERS (default "1 2 4 8"; the target needs 8 among them),
# SETPOST_BENCH_ROUNDS (default 5). SETPOST_BENCH_SMOKE=1: 40 jobs, 40 events, one round.
# Target: 8 workers sustain 50 jobs a second or more (a day of 5,000 clips at 8 jobs each is
# 40,000 jobs: 15 minutes of bookkeeping at that rate, against hours of media work).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
njobs=${SETPOST_BENCH_JOBS:-$(bench_size 2000 40)}
nevents=${SETPOST_BENCH_EVENTS:-$(bench_size 2000 40)}
nworkers=${SETPOST_BENCH_WORKERS:-1 2 4 8}
[ -x "$sp" ] || { echo "jobs bench: $sp not found (make build)" >&2; exit 1; }
command -v psql >/dev/null || { echo "jobs bench: psql is required (make deps)" >&2; exit 1; }
jr=$top/build/bench/jobrate
make -C "$top" --no-print-directory SETPOST_INNER=1 build/bench/jobrate >/dev/null ||
	{ echo "jobs bench: could not build $jr" >&2; exit 1; }

workers=()
stop_workers() {
	local p
	for p in "${workers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${workers[@]}"; do wait "$p" 2>/dev/null || true; done
	workers=()
}
cleanup() {
	stop_workers
	bench_pg_stop
}
trap cleanup EXIT

bench_begin jobs
bench_pg_start jobs
"$sp" migrate --database-url "$db" >"$work/migrate.out" 2>&1 || { cat "$work/migrate.out" >&2; exit 1; }
q() { psql -qtAX "$db" -c "$1"; }

jobs_run() { # N: queue $njobs no-op jobs, run N workers until all are done; records jobs_N
	local n=$1 i rate
	q "DELETE FROM jobs WHERE kind = 'bench_noop'" >/dev/null
	q "INSERT INTO jobs (kind, payload, priority, max_attempts)
		SELECT 'bench_noop', jsonb_build_object('i', i), 0, 3 FROM generate_series(1, $njobs) i" >/dev/null
	for i in $(seq 1 "$n"); do
		"$jr" worker "$db" "bench-$n-$i" >/dev/null 2>>"$work/worker.log" &
		workers+=($!)
	done
	for _ in $(seq 1 6000); do
		[[ $(q "SELECT count(*) FROM jobs WHERE kind = 'bench_noop' AND state <> 'done'") == 0 ]] && break
		sleep 0.1
	done
	stop_workers
	[[ $(q "SELECT count(*) FROM jobs WHERE kind = 'bench_noop' AND state <> 'done'") == 0 ]] ||
		{ echo "jobs bench: $n workers did not finish $njobs jobs" >&2; tail -n 5 "$work/worker.log" >&2; exit 1; }
	rate=$(q "SELECT round(count(*) / greatest(extract(epoch FROM max(finished_at) - min(started_at)), 0.001), 1)
		FROM jobs WHERE kind = 'bench_noop'")
	bench_record "jobs_$n" "$rate"
}
runs=()
for n in $nworkers; do
	eval "run$n() { jobs_run $n; }"
	runs+=("run$n")
done

events_run() { # N: N writers record $nevents events each at once; records events_N
	local n=$1 i t0 t1 pids=()
	t0=$(date +%s.%N)
	for i in $(seq 1 "$n"); do
		"$jr" events "$db" "$nevents" >"$work/events.$i" 2>>"$work/events.log" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || { cat "$work/events.log" >&2; exit 1; }; done
	t1=$(date +%s.%N)
	bench_record "events_$n" "$(awk "BEGIN { printf \"%.1f\", $n * $nevents / ($t1 - $t0) }")"
}
ev1() { events_run 1; }
ev4() { events_run 4; }

echo "== $njobs no-op jobs a run; events: $nevents a writer"
bench_interleave "${runs[@]}" ev1 ev4
echo "== jobs claimed and finished per second (first claim to last finish, from the jobs table)"
for n in $nworkers; do bench_row "$n worker(s), 1 slot each" "jobs_$n" "jobs/s" "%.1f"; done
echo "== events recorded per second (INSERT + NOTIFY each)"
bench_row "1 writer" events_1 "events/s" "%.1f"
bench_row "4 writers at once" events_4 "events/s" "%.1f"
bench_target "jobs per second, 8 workers" jobs_8 ">=" 50
bench_end

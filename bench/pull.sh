#!/bin/bash
# Pull benchmark: `setpost pull` of a day's dailies against `curl` fetching the very same files
# from the same server, both over HTTPS on loopback (a self-signed certificate, --cacert), in the
# same run. The dailies are FILES OF RANDOM BYTES (8 x 288 MiB = 2.25 GiB by default) registered
# as done renditions, as the transcode job would leave them: the bytes on the wire are what
# counts, not whether they decode.
#   bench/pull.sh [PATH_TO_SETPOST]        (default build/setpost)
#   SETPOST_BENCH_FILES=8 SETPOST_BENCH_MIB=288 to change the size.
# Each run also reports the CPU seconds of the client and of the server (from /proc), which
# a busy machine does not distort as it does wall time.
# Each tool runs SETPOST_BENCH_ROUNDS times (default 5), taking turns (curl, pull; pull, curl;
# ...), into an emptied folder; the median of the per-round ratios is compared with the target. curl gets one invocation for all files (one connection, like pull) and
# writes them with -o; pull also hashes every byte (xxh64), flushes each file to disk
# (fdatasync) before renaming it into place, and fetches the feed, the ALE and the CCC.
# SETPOST_BENCH_PERF=DIR: one more pull under perf, client and server (see bench/common.sh).
# Target: pull at curl's rate or better (1.0). A few minutes on 2 cores. SETPOST_BENCH_SMOKE=1:
# 2 files of 4 MiB.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
nfiles=${SETPOST_BENCH_FILES:-$(bench_size 8 2)}
mib=${SETPOST_BENCH_MIB:-$(bench_size 288 4)}
[ -x "$sp" ] || { echo "pull bench: $sp not found (make build)" >&2; exit 1; }
for t in curl openssl xxhsum psql; do
	command -v $t >/dev/null || { echo "pull bench: $t is required (make deps)" >&2; exit 1; }
done
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

serve=""
cleanup() {
	[ -n "$serve" ] && kill -TERM "$serve" 2>/dev/null && wait "$serve" 2>/dev/null || true
	bench_pg_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_begin pull
bench_pg_start pull
sql() { psql "$db" -X -q -tA -v ON_ERROR_STOP=1 -c "$1"; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-keyout "$work/key.pem" -out "$work/cert.pem" -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null
bench_serve serve "$work/data" --database-url "$db" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
serve=$bench_pid url=$bench_url
token=$("$sp" token create --role editor --name bench-pull --database-url "$db" --data "$work/data" \
	2>"$work/token.log" | tail -n 1)
[[ $token == spt_* ]] || { echo "pull bench: no token" >&2; cat "$work/token.log" >&2; exit 1; }

echo "== $("$sp" version), $(curl --version | head -n 1 | cut -d' ' -f1-5)"
echo "== making $nfiles files of $mib MiB of random bytes, registered as renditions"
R=$work/data/renditions/2026-11-25
mkdir -p "$R"
sql "INSERT INTO productions (name) VALUES ('Bench');
	INSERT INTO days (production_id, shoot_date) VALUES (1, '2026-11-25');
	INSERT INTO cards (day_id, label, camera) VALUES (1, 'A001', 'A');" >/dev/null
urls=()
for i in $(seq 1 "$nfiles"); do
	n=$(printf 'A001C%03d' "$i")
	head -c $((mib << 20)) /dev/urandom >"$R/$n.mp4"
	id=$(sql "INSERT INTO clips (card_id, name, start_tc, fps_num, fps_den, duration_frames)
		VALUES (1, '$n', '01:00:00:00', 24000, 1001, 1000) RETURNING id")
	rid=$(sql "INSERT INTO renditions (clip_id, profile, state, rel_path, size, xxh64, finished_at)
		VALUES ($id, 'avid', 'done', '2026-11-25/$n.mp4', $((mib << 20)),
		'$(xxhsum -H1 "$R/$n.mp4" 2>/dev/null | cut -d' ' -f1)', now()) RETURNING id")
	urls+=("$url/api/v1/renditions/$rid/file" -o "$work/curl/$n.mp4")
done
bytes=$((nfiles * (mib << 20)))
sync

hz=$(getconf CLK_TCK)
ticks() { local f; f=$(cut -d' ' -f14,15 "/proc/$1/stat"); echo $((${f% *} + ${f#* })); }
# Prints "wall-seconds client-cpu-seconds server-cpu-seconds" of one run of the command. CPU
# seconds do not depend on what else the machine is doing; wall time does.
measure() {
	local t0 s0 out TIMEFORMAT='%U %S'
	s0=$(ticks "$serve")
	t0=$(date +%s.%N)
	out=$( { time "$@" >"$work/run.out" 2>&1; } 2>&1 ) || { cat "$work/run.out" >&2; return 1; }
	echo "$(calc %.3f "$(date +%s.%N) - $t0") $(calc %.2f "${out% *} + ${out#* }")" \
		"$(calc %.2f "($(ticks "$serve") - $s0) / $hz")"
}
run_curl() {
	rm -rf "$work/curl" && mkdir -p "$work/curl" && sync
	measure curl -sS --fail --cacert "$work/cert.pem" -H "Authorization: Bearer $token" "${urls[@]}"
}
run_pull() {
	rm -rf "$work/pull" && sync
	SETPOST_TOKEN=$token measure "$sp" pull "$url" "$work/pull" --cacert "$work/cert.pem" --no-progress
}
side_curl() {
	local c cc cs
	read -r c cc cs < <(run_curl)
	[ -n "$c" ] || { echo "pull bench: curl failed" >&2; exit 1; }
	bench_record curl "$c"; bench_record curl_cpu "$cc"; bench_record curl_server "$cs"
}
side_pull() {
	local p pc ps
	read -r p pc ps < <(run_pull)
	[ -n "$p" ] && grep -q "pulled $nfiles files" "$work/run.out" ||
		{ echo "pull bench: pull failed" >&2; cat "$work/run.out" >&2; exit 1; }
	bench_record pull "$p"; bench_record pull_cpu "$pc"; bench_record pull_server "$ps"
}
echo "== $bench_rounds rounds of curl and setpost pull (order reversed every other round)"
bench_interleave side_curl side_pull
cmp "$R/A001C001.mp4" "$work/pull/2026-11-25/A001/A001C001.mp4"
echo "== $(calc %.2f "$bytes / 1073741824") GiB over HTTPS on loopback ($nfiles files)"
bench_row "curl, one connection, -o each file" curl s
bench_row "  CPU: curl" curl_cpu s
bench_row "  CPU: the server" curl_server s
bench_row "setpost pull (hashing, fdatasync, feed)" pull s
bench_row "  CPU: setpost pull" pull_cpu s
bench_row "  CPU: the server" pull_server s
if [ -n "${SETPOST_BENCH_PERF:-}" ]; then
	rm -rf "$work/pull" && sync
	bench_perf_attach pull-server "$serve"
	SETPOST_TOKEN=$token bench_perf_run pull-client "$sp" pull "$url" "$work/pull" --cacert "$work/cert.pem" --no-progress \
		>"$work/run.out" 2>&1
	bench_perf_report
fi
bench_ratio "pull, setpost pull rate / curl rate" curl pull ">=" 1.0
bench_end

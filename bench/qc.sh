#!/bin/bash
# QC benchmark: setpost's qc job (a real `setpost serve` + `setpost worker`, the clip registered
# over the API, the job timed from claim to done as the jobs table records it) against running
# the very same ffmpeg command by hand on the same clip, in the same run, taken from the job's
# own record (result.command) and run with its pipes sent to files. Rounds take turns (hand,
# job; job, hand; ...) and the median of the per-round ratios is compared with the target: the
# job costs at most 10% more than the hand run (job / hand <= 1.10).
#   bench/qc.sh [PATH_TO_SETPOST]        (default build/setpost)
# The clip (SETPOST_BENCH_SECONDS, default 20 s, of 1920x1080 ProRes 422 at 25 fps with two
# channels of 24-bit sound, ~130 MB) is made once in $SETPOST_BENCH_DIR (default
# /var/tmp/setpost-bench) and reused; it takes about a minute to encode on two cores.
# SETPOST_BENCH_ROUNDS (default 5) sets the rounds; SETPOST_BENCH_SMOKE=1: a 1 s clip.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
secs=${SETPOST_BENCH_SECONDS:-$(bench_size 20 1)}
[ -x "$sp" ] || { echo "qc bench: $sp not found (make build)" >&2; exit 1; }
for t in ffmpeg curl jq; do
	command -v $t >/dev/null || { echo "qc bench: $t is required (apt-get install $t)" >&2; exit 1; }
done

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; } # calc FORMAT EXPRESSION
pgtime() { date -d "$1" +%s.%N; }             # PostgreSQL's text timestamp to seconds

bench_begin qc
clip=$dir/qc/bench_1080p25_prores422_${secs}s.mov
mkdir -p "$dir/qc"
if [ ! -s "$clip" ]; then
	echo "== making the clip once: $secs s 1920x1080 ProRes 422, 25 fps, 2 ch ($clip)"
	ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=1920x1080:r=25:d=$secs" \
		-f lavfi -i "aevalsrc='0.25*sin(2*PI*440*t)|0.25*sin(2*PI*660*t)':s=48000:d=$secs" \
		-c:v prores_ks -profile:v 2 -c:a pcm_s24le -timecode 01:00:00:00 -f mov "$clip.part"
	mv "$clip.part" "$clip"
fi

# The data folder holds the embedded PostgreSQL, which runs as the postgres user when we are
# root: it must be reachable, so the work folder is 0755.
work=$(mktemp -d "$dir/qc-run.XXXXXX")
chmod 755 "$work"
mkdir -p "$work/media/A001R1AB" "$work/data"
serve=""
worker=""
cleanup() {
	[ -n "$worker" ] && kill -TERM "$worker" 2>/dev/null && wait "$worker" 2>/dev/null || true
	[ -n "$serve" ] && kill -TERM "$serve" 2>/dev/null && wait "$serve" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
export SETPOST_HOST=bench-qc

bench_serve serve "$work/data"
serve=$bench_pid url=$bench_url
token=$("$sp" token create --role admin --name bench --data "$work/data" 2>/dev/null | tail -n 1)
"$sp" worker --data "$work/data" --slots 1 >"$work/worker.out" 2>"$work/worker.log" &
worker=$!
api() { curl -sf -H "Authorization: Bearer $token" "$@"; }
# The media folder is a declared volume: the server touches nothing else (lib/custody/confine.h).
"$sp" volume add media "$work/media" --data "$work/data" >/dev/null

# Registers clip number $1 (a hard link to the bench clip: same file, same page cache) on two
# volumes mounted here, which secures it and queues probe, thumbnails and QC.
register() {
	local name=A001C$(printf %03d "$1")_250101_R1AB rel
	rel=A001R1AB/$name.mov
	ln -f "$clip" "$work/media/$rel" 2>/dev/null || cp "$clip" "$work/media/$rel"
	jq -n --arg rel "$rel" --arg clip "$name" --arg mount "$work/media" --arg host bench-qc \
		--argjson size "$(stat -c %s "$clip")" '
		def copy($k): { volume: { key: $k, name: $k, host: $host, mount_path: $mount },
			files: [ { path: $rel, state: "verified", hashes: { xxh64: "0123456789abcdef" } } ] };
		{ production: "QC bench", card: { label: "A001R1AB", camera: "A" },
		  files: [ { path: $rel, size: $size, clip: $clip, hashes: { xxh64: "0123456789abcdef" } } ],
		  copies: [ copy("bench-raid"), copy("bench-shuttle") ] }' >"$work/offload.json"
	api -H "Content-Type: application/json" --data-binary @"$work/offload.json" \
		"$url/api/v1/offloads" >/dev/null
}

# Waits until $1 QC jobs are done and leaves the newest in $work/job.json. It watches the
# worker's log (cheap) rather than polling the API, which would take CPU from the job.
wait_qc() {
	for _ in $(seq 1 1200); do
		if grep -q "kind=qc attempt=.* failed" "$work/worker.log"; then
			grep "kind=qc" "$work/worker.log" >&2
			exit 1
		fi
		if [ "$(grep -c "kind=qc done" "$work/worker.log")" -ge "$1" ]; then
			api "$url/api/v1/jobs?kind=qc&state=done&limit=1" | jq '.items[0]' >"$work/job.json"
			return 0
		fi
		sleep 0.5
	done
	echo "qc bench: the QC job did not finish" >&2
	exit 1
}

njobs=0
job_round() { # registers the next clip, waits for its QC; records its times
	local t
	register "$njobs"
	njobs=$((njobs + 1))
	wait_qc "$njobs"
	t=$(calc %.3f "$(pgtime "$(jq -r .finished_at "$work/job.json")") - $(pgtime "$(jq -r .started_at "$work/job.json")")")
	bench_record job "$t"
	bench_record job_ffmpeg "$(jq -r '.result.ffmpeg_seconds' "$work/job.json")"
}

hand_round() { # the job's own command, by hand: progress to nowhere, metadata and frames to files
	local t0 t1
	t0=$(now)
	"${cmd[@]}" 3>/dev/null 4>"$work/video-metadata.txt" 5>"$work/audio-metadata.txt" \
		>"$work/focus-frames.gray" 2>"$work/hand.err" || { cat "$work/hand.err" >&2; exit 1; }
	t1=$(now)
	bench_record hand "$(calc %.3f "$t1 - $t0")"
}

# A first job, not counted: warms the caches and tells us the command.
job_round
bench_samples=()
mapfile -t cmd < <(jq -r '.result.command[]' "$work/job.json")
[ "${#cmd[@]}" -gt 10 ] || { echo "qc bench: no command in the job's result" >&2; exit 1; }
bench_interleave hand_round job_round

frames=$(jq -r '.result.frames' "$work/job.json")
echo "== QC of one clip: $secs s, 1920x1080 ProRes 422, 25 fps ($frames frames), 2 ch; $bench_rounds rounds"
echo "   the chain: $(printf '%s ' "${cmd[@]}" | sed 's/ -filter_complex / -filter_complex\n              /')"
bench_row "setpost qc job (claim to done)" job s
bench_row "  of which its ffmpeg run" job_ffmpeg s
bench_row "the same ffmpeg chain by hand" hand s
bench_ratio "qc job / the same ffmpeg by hand (time)" job hand "<=" 1.10
bench_end

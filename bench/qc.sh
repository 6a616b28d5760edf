#!/bin/bash
# QC benchmark: setpost's qc job (a real `setpost serve` + `setpost worker`, the clip registered
# over the API, the job timed from claim to done as the jobs table records it) against running
# the very same ffmpeg command by hand on the same clip, in the same run, taken from the job's
# own record (result.command) and run with its pipes sent to files. Rounds alternate which
# goes first. The best round of each is compared (other processes on the machine only ever make
# a run slower, so the fastest is the truest); medians are shown too. Target: the job costs at
# most 10% more than the hand run.
#   bench/qc.sh [PATH_TO_SETPOST]        (default build/setpost)
# The clip (20 s of 1920x1080 ProRes 422 at 25 fps with two channels of 24-bit sound, ~130 MB)
# is made once in $SETPOST_BENCH_DIR (default /var/tmp/setpost-bench) and reused; it takes
# about a minute to encode on two cores. SETPOST_BENCH_ROUNDS (default 5) sets the rounds.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
rounds=${SETPOST_BENCH_ROUNDS:-5}
[ -x "$sp" ] || { echo "qc bench: $sp not found (make build)" >&2; exit 1; }
for t in ffmpeg curl jq; do
	command -v $t >/dev/null || { echo "qc bench: $t is required (apt-get install $t)" >&2; exit 1; }
done

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; } # calc FORMAT EXPRESSION
pgtime() { date -d "$1" +%s.%N; }             # PostgreSQL's text timestamp to seconds
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { sort -g | head -n 1; }

clip=$dir/qc/bench_1080p25_prores422.mov
mkdir -p "$dir/qc"
if [ ! -s "$clip" ]; then
	echo "== making the clip once: 20 s 1920x1080 ProRes 422, 25 fps, 2 ch ($clip)"
	ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=1920x1080:r=25:d=20" \
		-f lavfi -i "aevalsrc='0.25*sin(2*PI*440*t)|0.25*sin(2*PI*660*t)':s=48000:d=20" \
		-c:v prores_ks -profile:v 2 -c:a pcm_s24le -timecode 01:00:00:00 "$clip.part"
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

job_round() { # job_round N: registers clip N, waits for its QC; appends its times
	register "$1"
	wait_qc $(($1 + 1))
	echo "$(calc %.3f "$(pgtime "$(jq -r .finished_at "$work/job.json")") - $(pgtime "$(jq -r .started_at "$work/job.json")")")" >>"$work/job.times"
	jq -r '.result.ffmpeg_seconds' "$work/job.json" >>"$work/ffmpeg.times"
}

hand_round() { # the job's own command, by hand: progress to nowhere, metadata and frames to files
	local t0 t1
	t0=$(now)
	"${cmd[@]}" 3>/dev/null 4>"$work/video-metadata.txt" 5>"$work/audio-metadata.txt" \
		>"$work/focus-frames.gray" 2>"$work/hand.err" || { cat "$work/hand.err" >&2; exit 1; }
	t1=$(now)
	calc %.3f "$t1 - $t0" >>"$work/hand.times"
	echo >>"$work/hand.times"
}

# A first job, not counted: warms the caches and tells us the command.
job_round 0
: >"$work/job.times"
: >"$work/ffmpeg.times"
mapfile -t cmd < <(jq -r '.result.command[]' "$work/job.json")
[ "${#cmd[@]}" -gt 10 ] || { echo "qc bench: no command in the job's result" >&2; exit 1; }
for i in $(seq 1 "$rounds"); do
	if [ $((i % 2)) -eq 1 ]; then hand_round; job_round "$i"; else job_round "$i"; hand_round; fi
done

frames=$(jq -r '.result.frames' "$work/job.json")
job=$(best <"$work/job.times")
ff=$(best <"$work/ffmpeg.times")
hand=$(best <"$work/hand.times")
over=$(calc %.1f "100 * ($job / $hand - 1)")
echo "== QC of one clip: 20 s, 1920x1080 ProRes 422, 25 fps ($frames frames), 2 ch; $rounds rounds"
echo "   the chain: $(printf '%s ' "${cmd[@]}" | sed 's/ -filter_complex / -filter_complex\n              /')"
echo "   rounds, setpost job:   $(tr '\n' ' ' <"$work/job.times")s"
echo "   rounds, by hand:       $(tr '\n' ' ' <"$work/hand.times")s"
echo "   load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "                                      best        median"
echo "   setpost qc job (claim to done)   $job s    $(median <"$work/job.times") s  ($(calc %.1f "$frames / $job") frames/s at best)"
echo "     of which its ffmpeg run        $(calc %.3f "$ff") s    $(calc %.3f "$(median <"$work/ffmpeg.times")") s"
echo "   the same ffmpeg chain by hand    $hand s    $(median <"$work/hand.times") s  ($(calc %.1f "$frames / $hand") frames/s at best)"
echo "   overhead (best against best): ${over}% (target <= 10%);" \
	"median against median: $(calc %.1f "100 * ($(median <"$work/job.times") / $(median <"$work/hand.times") - 1)")%"
awk "BEGIN { exit !($over <= 10) }" || { echo "qc bench: over the 10% target" >&2; exit 1; }

#!/bin/bash
# Transcode benchmark, in one run (issue 6's proof):
#  (a) setpost's transcode job (a real `setpost serve` + `setpost worker --slots 1`, the job
#      timed from claim to done as the jobs table records it) against the very same ffmpeg
#      command run by hand (taken from the job's result.commands): the job's overhead;
#  (b) setpost's filter chain (scale to 720p first, then the 33-point look in 16-bit planar RGB, lut3d's fast path,
#      then the encoder's format and burn-ins) against the naive one (the look at source size
#      in 16-bit RGB, then scale), same encoder, same burn-ins, both by hand: time ratio, and
#      the largest difference between the two renders of the same source frames (the bench
#      clip's testsrc2 chart), in 8-bit code values;
#  (c) a card of N clips registered at once (worker with 2 slots, so probe, thumbnails and QC
#      run too, as on a cart): time from the registration to the last proxy's finished_at,
#      against the sum of the bare ffmpeg times of the same commands (N x the hand time of (a)).
# Rounds take turns (the order reversed every other round); each ratio is the median of the
# per-round ratios, with their range.
#   bench/transcode.sh [PATH_TO_SETPOST]        (default build/setpost)
# The source (SETPOST_BENCH_SECONDS, default 10 s, of 1920x1080 ProRes 422 HQ at 25 fps, two
# channels of 24-bit sound, TC 01:00:00:00) is made once in $SETPOST_BENCH_DIR (default
# /var/tmp/setpost-bench) and reused. SETPOST_BENCH_ROUNDS (default 5) and SETPOST_BENCH_CARD
# (default 10 clips) set the sizes; SETPOST_BENCH_SMOKE=1: a 1 s source, a card of 1.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
secs=${SETPOST_BENCH_SECONDS:-$(bench_size 10 1)}
ncard=${SETPOST_BENCH_CARD:-$(bench_size 10 1)}
[ -x "$sp" ] || { echo "transcode bench: $sp not found (make build)" >&2; exit 1; }
for t in ffmpeg curl jq python3; do
	command -v $t >/dev/null || { echo "transcode bench: $t is required (apt-get install $t)" >&2; exit 1; }
done

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; } # calc FORMAT EXPRESSION
pgtime() { date -d "$1" +%s.%N; }             # PostgreSQL's text timestamp to seconds

bench_begin transcode
clip=$dir/transcode/bench_1080p25_prores422hq_${secs}s.mov
mkdir -p "$dir/transcode"
if [ ! -s "$clip" ]; then
	echo "== making the source once: $secs s 1920x1080 ProRes 422 HQ, 25 fps, 2 ch ($clip)"
	ffmpeg -nostdin -hide_banner -loglevel error -y \
		-f lavfi -i "testsrc2=s=1920x1080:r=25:d=$secs,scale=out_color_matrix=bt709:out_range=tv,format=yuv422p10le" \
		-f lavfi -i "aevalsrc='0.25*sin(2*PI*440*t)|0.25*sin(2*PI*660*t)':s=48000:d=$secs" \
		-c:v prores_ks -profile:v 3 -c:a pcm_s24le -timecode 01:00:00:00 \
		-metadata:s:v:0 reel_name=A001R1AB -movflags use_metadata_tags -f mov "$clip.part"
	mv "$clip.part" "$clip"
fi

work=$(mktemp -d "$dir/transcode-run.XXXXXX")
chmod 755 "$work"
mkdir -p "$work/media/A001R1AB" "$work/data"
serve=""
worker=""
stop_worker() {
	if [ -n "$worker" ]; then
		kill -TERM "$worker" 2>/dev/null || true
		wait "$worker" 2>/dev/null || true
	fi
	worker=""
}
cleanup() {
	stop_worker
	[ -n "$serve" ] && kill -TERM "$serve" 2>/dev/null && wait "$serve" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
export SETPOST_HOST=bench-transcode

bench_serve serve "$work/data"
serve=$bench_pid url=$bench_url
token=$("$sp" token create --role admin --name bench --data "$work/data" 2>/dev/null | tail -n 1)
api() { curl -sf -H "Authorization: Bearer $token" "$@"; }
# The media folder is a declared volume: the server touches nothing else (lib/custody/confine.h).
"$sp" volume add media "$work/media" --data "$work/data" >/dev/null
start_worker() { # start_worker SLOTS
	"$sp" worker --data "$work/data" --slots "$1" >>"$work/worker.out" 2>>"$work/worker.log" &
	worker=$!
}

# Registers clips $2..$3 (hard links to the source: same file, same page cache) as card $1 on
# two volumes mounted here, which secures them and queues probe, then thumbnails, QC and the
# transcode. Their CDL is set before any worker sees them.
register() {
	local label=$1 from=$2 to=$3 files="[]" name rel
	mkdir -p "$work/media/$label"
	for i in $(seq "$from" "$to"); do
		name=A001C$(printf %03d "$i")_251125_R1AB
		rel=$label/$name.mov
		ln -f "$clip" "$work/media/$rel" 2>/dev/null || cp "$clip" "$work/media/$rel"
		files=$(jq -c --arg rel "$rel" --arg clip "$name" --argjson size "$(stat -c %s "$clip")" \
			'. + [ { path: $rel, size: $size, clip: $clip, hashes: { xxh64: "0123456789abcdef" } } ]' <<<"$files")
	done
	jq -n --argjson files "$files" --arg lbl "$label" --arg mount "$work/media" --arg host bench-transcode '
		def copy($k): { volume: { key: $k, name: $k, host: $host, mount_path: $mount },
			files: [ $files[] | { path, state: "verified", hashes } ] };
		{ production: "Transcode bench", day: "2026-11-25", card: { label: $lbl, camera: "A" },
		  clips: [ $files[] | { name: .clip, scene: "7A", take: "1" } ],
		  files: $files, copies: [ copy("bench-raid"), copy("bench-shuttle") ] }' >"$work/offload.json"
	api -H "Content-Type: application/json" --data-binary @"$work/offload.json" \
		"$url/api/v1/offloads" >/dev/null
	for i in $(seq "$from" "$to"); do
		name=A001C$(printf %03d "$i")_251125_R1AB
		id=$(api "$url/api/v1/clips?q=$name&limit=1" | jq -r '.items[0].id')
		api -X PATCH -H "Content-Type: application/json" \
			--data '{"look": {"slope": [1.1, 1.0, 0.9], "offset": [0.02, 0, -0.01], "power": [0.95, 1, 1.05], "sat": 0.85}}' \
			"$url/api/v1/clips/$id" >/dev/null
	done
}

# Waits until $1 transcode jobs are done and leaves the newest in $work/job.json.
wait_transcodes() {
	for _ in $(seq 1 2400); do
		if grep -q "kind=transcode attempt=.* failed" "$work/worker.log"; then
			grep "kind=transcode" "$work/worker.log" >&2
			exit 1
		fi
		if [ "$(grep -c "kind=transcode done" "$work/worker.log")" -ge "$1" ]; then
			api "$url/api/v1/jobs?kind=transcode&state=done&limit=1" | jq '.items[0]' >"$work/job.json"
			return 0
		fi
		sleep 0.25
	done
	echo "transcode bench: the transcode jobs did not finish" >&2
	exit 1
}

ndone=0
job_round() { # registers the next clip alone, waits for its proxy; records its time
	local t
	stop_worker
	register "R$((ndone + 1))" "$((ndone + 1))" "$((ndone + 1))"
	start_worker 1
	ndone=$((ndone + 1))
	wait_transcodes $ndone
	jq -e '.result.look.cdl != null' "$work/job.json" >/dev/null ||
		{ echo "transcode bench: the job ran without the look" >&2; exit 1; }
	t=$(calc %.3f "$(pgtime "$(jq -r .finished_at "$work/job.json")") - $(pgtime "$(jq -r .started_at "$work/job.json")")")
	bench_record job "$t"
	bench_record jobff "$(jq -r '.result.ffmpeg_seconds' "$work/job.json")"
}

# hand NAME ARGV...: one run; its wall time to sample NAME, its CPU time (user + system, which
# other processes on the machine disturb far less) to NAME_cpu.
hand() {
	local name=$1 wall cpu
	shift
	read -r wall cpu < <(python3 -c '
import os, resource, subprocess, sys, time
t0 = time.monotonic()
os.dup2(os.open(os.devnull, os.O_WRONLY), 3)  # where -progress pipe:3 goes
with open(sys.argv[1], "w") as err:
    rc = subprocess.call(sys.argv[2:], stderr=err, stdin=subprocess.DEVNULL, close_fds=False)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.3f" % (wall, ru.ru_utime + ru.ru_stime) if rc == 0 else "")' "$work/hand.err" "$@")
	[ -n "${cpu:-}" ] || { cat "$work/hand.err" >&2; exit 1; }
	bench_record "$name" "$wall"
	bench_record "${name}_cpu" "$cpu"
}

# The production makes one profile, the 720p review copy (burn-ins on).
stop_worker
register R0 0 0
pid=$(api "$url/api/v1/productions" | jq -r '.items[0].id')
api -X PATCH -H "Content-Type: application/json" --data '{"settings": {"proxy_active": ["h264_720"]}}' \
	"$url/api/v1/productions/$pid" >/dev/null
# A first job, not counted: warms the caches and tells us the command.
start_worker 1
ndone=1
wait_transcodes 1
mapfile -t cmd < <(jq -r '.result.commands.h264_720[]' "$work/job.json")
[ "${#cmd[@]}" -gt 10 ] || { echo "transcode bench: no command in the job's result" >&2; exit 1; }
# The same command with our output, and with the naive chain in place of ours.
out=$work/hand.mp4
hand_cmd=("${cmd[@]}")
hand_cmd[${#hand_cmd[@]}-1]="file:$out"
graph=""
for i in "${!cmd[@]}"; do [ "${cmd[$i]}" = "-filter_complex" ] && graph=${cmd[$((i + 1))]} && gi=$((i + 1)); done
[ -n "$graph" ] || { echo "transcode bench: no filter graph in the command" >&2; exit 1; }
cube=$(sed -n 's/.*lut3d=file=\([^,]*\),.*/\1/p' <<<"$graph")
size=$(sed -n 's/^\[0:v:0\]scale=\([0-9]*:[0-9]*\):.*/\1/p' <<<"$graph")
burnin=$(sed -n 's/.*setsar=1,\(.*\)\[v\]$/\1/p' <<<"$graph")
naive="[0:v:0]scale=in_color_matrix=bt709:in_range=tv:out_range=pc,format=gbrp16le,lut3d=file=$cube,scale=$size:flags=bicubic:out_color_matrix=bt709:in_range=pc:out_range=tv,format=yuv420p,setsar=1${burnin:+,$burnin}[v]"
naive_cmd=("${hand_cmd[@]}")
naive_cmd[$gi]=$naive
# The chains alone: decode and filter, no encoder.
src=${cmd[$((gi - 2))]}
chain_cmd=(ffmpeg -nostdin -v error -threads 2 -i "$src" -filter_complex "$graph" -map "[v]" -f null -)
naivechain_cmd=(ffmpeg -nostdin -v error -threads 2 -i "$src" -filter_complex "$naive" -map "[v]" -f null -)

side_hand() { hand hand "${hand_cmd[@]}"; }
side_naive() { hand naive "${naive_cmd[@]}"; }
side_chain() { hand chain "${chain_cmd[@]}"; }
side_naivechain() { hand naivechain "${naivechain_cmd[@]}"; }
echo "== rounds: (a) job vs hand, (b) naive chain; $bench_rounds rounds (order reversed every other round)"
bench_interleave side_hand side_naive job_round side_chain side_naivechain

# (b) the pictures: a chart (SMPTE HD bars, 1080p ProRes 422 HQ like the source) through both
# chains without the burn-ins, to 8-bit RGB the same way, compared code value by code value:
# over the whole frame, and over the chart's flat patches (pixels at least 4 px from an edge
# or the frame's border: 4:2:0 chroma and the scaler's taps reach that far), since at a patch's edge the two orders
# (look then scale, scale then look) must differ: the look is not linear.
chart=$dir/transcode/chart_1080p_prores422hq.mov
[ -s "$chart" ] || ffmpeg -nostdin -hide_banner -loglevel error -y \
	-f lavfi -i "smptehdbars=s=1920x1080:r=25:d=0.2,scale=out_color_matrix=bt709:out_range=tv,format=yuv422p10le" \
	-c:v prores_ks -profile:v 3 -f mov "$chart"
render() { # render GRAPH OUT
	ffmpeg -nostdin -hide_banner -loglevel error -y -i "$chart" -filter_complex "$1;[v]scale=in_color_matrix=bt709:in_range=tv,format=rgb24[o]" \
		-map "[o]" -frames:v 1 -f rawvideo "$2"
}
render "${graph%%,drawtext*}${burnin:+[v]}" "$work/ours.rgb"
render "${naive%%,drawtext*}${burnin:+[v]}" "$work/naive.rgb"
read -r maxdiff flatdiff < <(python3 - "$work/ours.rgb" "$work/naive.rgb" "$size" <<'EOF'
import sys
a = open(sys.argv[1], 'rb').read()
b = open(sys.argv[2], 'rb').read()
w, h = map(int, sys.argv[3].split(':'))
assert len(a) == len(b) == w * h * 3
R = 4  # a flat pixel: its 9x9 neighbourhood in the naive render is within 2 code values,
       # and it is that far from the frame's border (the scalers treat borders differently)
def flat(i, x, y):
    return all(abs(b[(yy * w + xx) * 3 + c] - b[i + c]) <= 2
               for yy in range(max(0, y - R), min(h, y + R + 1))
               for xx in range(max(0, x - R), min(w, x + R + 1)) for c in range(3))
mx = fl = 0
for y in range(h):
    for x in range(w):
        i = (y * w + x) * 3
        d = max(abs(a[i + c] - b[i + c]) for c in range(3))
        mx = max(mx, d)
        if d > fl and R <= x < w - R and R <= y < h - R and flat(i, x, y):
            fl = d
print(mx, fl)
EOF
)

# (c) a card of $ncard clips registered at once, worker with two slots.
stop_worker
t0=$(now)
register CARD 100 $((100 + ncard - 1))
start_worker 2
wait_transcodes $((ndone + ncard))
last=$(api "$url/api/v1/jobs?kind=transcode&state=done&limit=$ncard" | jq -r '[.items[].finished_at] | max')
card_secs=$(calc %.3f "$(pgtime "$last") - $t0")
stop_worker

frames=$((secs * 25))
echo "== transcode of one clip: $secs s 1920x1080 ProRes 422 HQ, 25 fps ($frames frames) -> h264_720 with a 33-point look and burn-ins"
echo "   the command: $(printf '%s ' "${cmd[@]}")"
echo "   (a)"
bench_row "setpost job (claim to done)" job s
bench_row "  of which its ffmpeg run" jobff s
bench_row "the same ffmpeg command by hand" hand s
bench_row "  its CPU" hand_cpu s
echo "   (b)"
bench_row "whole command, naive chain" naive s
bench_row "  its CPU" naive_cpu s
bench_row "decode + setpost's chain only" chain s
bench_row "  its CPU" chain_cpu s
bench_row "decode + naive chain only" naivechain s
bench_row "  its CPU" naivechain_cpu s
echo "   chart rendered by both: at most $flatdiff code values apart on its flat patches (target <= 2);" \
	"$maxdiff at most at patch edges (the look is not linear: scaling before or after it differs there)"
echo "   (c) card of $ncard clips x $secs s: registration to last proxy $card_secs s;" \
	"sum of bare ffmpeg times $(calc %.1f "$ncard * $(bench_median hand)") s ($ncard x median hand run);" \
	"ratio $(calc %.2f "$card_secs / ($ncard * $(bench_median hand))") (probe, thumbnails and QC ran alongside on the same 2 cores)"
bench_ratio "transcode job / the same ffmpeg by hand (time)" job hand "<=" 1.05
bench_ratio "transcode chain / naive chain (CPU, chain only)" chain_cpu naivechain_cpu "<=" 0.7
bench_ratio "transcode chain / naive chain (wall, chain only)" chain naivechain "<=" 0.7
bench_end

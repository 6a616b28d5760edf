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
# Rounds alternate which goes first; the best round of each is compared (other processes only
# ever make a run slower); medians are shown too.
#   bench/transcode.sh [PATH_TO_SETPOST]        (default build/setpost)
# The source (SETPOST_BENCH_SECONDS, default 10 s, of 1920x1080 ProRes 422 HQ at 25 fps, two
# channels of 24-bit sound, TC 01:00:00:00) is made once in $SETPOST_BENCH_DIR (default
# /var/tmp/setpost-bench) and reused. SETPOST_BENCH_ROUNDS (default 3) and SETPOST_BENCH_CARD
# (default 10 clips) set the sizes.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
rounds=${SETPOST_BENCH_ROUNDS:-3}
secs=${SETPOST_BENCH_SECONDS:-10}
ncard=${SETPOST_BENCH_CARD:-10}
[ -x "$sp" ] || { echo "transcode bench: $sp not found (make build)" >&2; exit 1; }
for t in ffmpeg curl jq python3; do
	command -v $t >/dev/null || { echo "transcode bench: $t is required (apt-get install $t)" >&2; exit 1; }
done

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; } # calc FORMAT EXPRESSION
pgtime() { date -d "$1" +%s.%N; }             # PostgreSQL's text timestamp to seconds
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { sort -g | head -n 1; }

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
job_round() { # job_round N: registers clip N alone, waits for its proxy; appends its time
	stop_worker
	register "R$1" "$1" "$1"
	start_worker 1
	ndone=$((ndone + 1))
	wait_transcodes $ndone
	jq -e '.result.look.cdl != null' "$work/job.json" >/dev/null ||
		{ echo "transcode bench: the job ran without the look" >&2; exit 1; }
	calc %.3f "$(pgtime "$(jq -r .finished_at "$work/job.json")") - $(pgtime "$(jq -r .started_at "$work/job.json")")" >>"$work/job.times"
	echo >>"$work/job.times"
	jq -r '.result.ffmpeg_seconds' "$work/job.json" >>"$work/jobff.times"
}

# hand NAME ARGV...: one run; its wall time to NAME.times, its CPU time (user + system, which
# other processes on the machine disturb far less) to NAME.cpu.
hand() {
	local name=$1
	shift
	python3 -c '
import os, resource, subprocess, sys, time
t0 = time.monotonic()
os.dup2(os.open(os.devnull, os.O_WRONLY), 3)  # where -progress pipe:3 goes
with open(sys.argv[1], "w") as err:
    rc = subprocess.call(sys.argv[4:], stderr=err, stdin=subprocess.DEVNULL, close_fds=False)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[2], "a").write("%.3f\n" % wall)
open(sys.argv[3], "a").write("%.3f\n" % (ru.ru_utime + ru.ru_stime))
sys.exit(rc)' "$work/hand.err" "$work/$name.times" "$work/$name.cpu" "$@" ||
		{ cat "$work/hand.err" >&2; exit 1; }
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
: >"$work/job.times"
: >"$work/jobff.times"
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

echo "== rounds: (a) job vs hand, (b) naive chain; $rounds rounds"
for i in $(seq 1 "$rounds"); do
	if [ $((i % 2)) -eq 1 ]; then
		hand hand "${hand_cmd[@]}"; hand naive "${naive_cmd[@]}"; job_round "$i"
		hand chain "${chain_cmd[@]}"; hand naivechain "${naivechain_cmd[@]}"
	else
		job_round "$i"; hand naive "${naive_cmd[@]}"; hand hand "${hand_cmd[@]}"
		hand naivechain "${naivechain_cmd[@]}"; hand chain "${chain_cmd[@]}"
	fi
done

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

job=$(best <"$work/job.times")
jobff=$(best <"$work/jobff.times")
hand_best=$(best <"$work/hand.times")
naive_best=$(best <"$work/naive.times")
over=$(calc %.1f "100 * ($job / $hand_best - 1)")
own=$(calc %.1f "100 * ($(median <"$work/job.times") / $(median <"$work/jobff.times") - 1)")
frames=$((secs * 25))
cpu() { calc %.2f "$(best <"$work/$1.cpu")"; }
echo "== transcode of one clip: $secs s 1920x1080 ProRes 422 HQ, 25 fps ($frames frames) -> h264_720 with a 33-point look and burn-ins"
echo "   the command: $(printf '%s ' "${cmd[@]}")"
echo "   rounds, setpost job:   $(tr '\n' ' ' <"$work/job.times")s (its ffmpeg: $(awk '{ printf "%.3f ", $1 }' "$work/jobff.times")s)"
echo "   rounds, by hand:       $(tr '\n' ' ' <"$work/hand.times")s"
echo "   rounds, naive chain:   $(tr '\n' ' ' <"$work/naive.times")s"
echo "   load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "                                          best wall   median wall   best CPU"
echo "   (a) setpost job (claim to done)      $job s    $(median <"$work/job.times") s  ($(calc %.1f "$frames / $job") frames/s)"
echo "         of which its ffmpeg run        $(calc %.3f "$jobff") s    $(calc %.3f "$(median <"$work/jobff.times")") s"
echo "       the same ffmpeg command by hand  $hand_best s    $(median <"$work/hand.times") s    $(cpu hand) s"
echo "       overhead, best against best: ${over}% (target <= 5%); setpost's own time around its ffmpeg (median): ${own}%"
echo "   (b) whole command, naive chain       $naive_best s    $(median <"$work/naive.times") s    $(cpu naive) s"
echo "       decode + setpost's chain only    $(best <"$work/chain.times") s    $(median <"$work/chain.times") s    $(cpu chain) s"
echo "       decode + naive chain only        $(best <"$work/naivechain.times") s    $(median <"$work/naivechain.times") s    $(cpu naivechain) s"
echo "       setpost / naive, whole command: wall $(calc %.2f "$hand_best / $naive_best"), CPU $(calc %.2f "$(best <"$work/hand.cpu") / $(best <"$work/naive.cpu")");" \
	"chain only: wall $(calc %.2f "$(best <"$work/chain.times") / $(best <"$work/naivechain.times")"), CPU $(calc %.2f "$(best <"$work/chain.cpu") / $(best <"$work/naivechain.cpu")") (target <= 0.7)"
echo "       chart rendered by both: at most $flatdiff code values apart on its flat patches (target <= 2);" \
	"$maxdiff at most at patch edges (the look is not linear: scaling before or after it differs there)"
echo "   (c) card of $ncard clips x $secs s: registration to last proxy $card_secs s;" \
	"sum of bare ffmpeg times $(calc %.1f "$ncard * $hand_best") s ($ncard x best hand run);" \
	"ratio $(calc %.2f "$card_secs / ($ncard * $hand_best)") (probe, thumbnails and QC of the $ncard clips ran alongside on the same 2 cores)"

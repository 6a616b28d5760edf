#!/usr/bin/env bash
# bench/day: card to cutting room for a small shooting day. A card of N clips of 1080p ProRes 422
# HQ (SETPOST_BENCH_CLIPS, default 8; SETPOST_BENCH_SECONDS each, default 10) is offloaded by
# `setpost offload --register` to two destinations (verified copies, ASC MHL), probed,
# thumbnailed, QC'd and proxied with the show LUT by the worker, and each proxy delivered
# (age-encrypted, tus) by a delivery rule to a second `setpost serve` on loopback, the post
# house, which decrypts and verifies it. Against the same steps by hand, one after another, in
# the same run: cp to both destinations + sync, xxhsum -H1 of the source and both copies, one
# ffmpeg a clip with the same LUT applied at source size before scaling (the naive chain of
# bench/transcode.sh) and setpost's own encoder settings, then curl -T of each proxy to nginx.
# Prints the time to the first and the last proxy verified at the post house, the by-hand total,
# their ratio (target <= 0.5), the first proxy against one clip alone through the same chain
# (a card of one clip, offloaded just before; target <= 1.5) and a per-clip and per-job timeline. One round by default (a day is long):
# SETPOST_BENCH_ROUNDS for more. The two destinations are two tmpfs mounts (root), for both sides.
#   bench/day.sh [build/setpost]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
secs=${SETPOST_BENCH_SECONDS:-$(bench_size 10 1)}
nclips=${SETPOST_BENCH_CLIPS:-$(bench_size 8 2)}
[ -x "$sp" ] || { echo "day bench: $sp not found (make build)" >&2; exit 1; }
for t in ffmpeg curl jq python3 xxhsum nginx; do
	command -v $t >/dev/null || { echo "day bench: $t is required" >&2; exit 1; }
done
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
bench_begin day
SETPOST_BENCH_ROUNDS=${SETPOST_BENCH_ROUNDS:-1} bench_rounds=${SETPOST_BENCH_ROUNDS:-1}

clip=$dir/day/bench_1080p25_prores422hq_${secs}s.mov
mkdir -p "$dir/day"
if [ ! -s "$clip" ]; then
	echo "== making the source once: $secs s 1920x1080 ProRes 422 HQ, 25 fps, 2 ch ($clip)"
	ffmpeg -nostdin -hide_banner -loglevel error -y \
		-f lavfi -i "testsrc2=s=1920x1080:r=25:d=$secs,scale=out_color_matrix=bt709:out_range=tv,format=yuv422p10le" \
		-f lavfi -i "aevalsrc='0.25*sin(2*PI*440*t)|0.25*sin(2*PI*660*t)':s=48000:d=$secs" \
		-c:v prores_ks -profile:v 3 -c:a pcm_s24le -timecode 01:00:00:00 -f mov "$clip.part"
	mv "$clip.part" "$clip"
fi
work=$(mktemp -d "$dir/day-run.XXXXXX")
chmod 755 "$work"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	umount "$work/raid" "$work/shuttle" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
# A show LUT: a gentle S-curve with warmer mids, 33 points.
python3 - "$work/show.cube" <<'PY'
import sys
n = 33
with open(sys.argv[1], "w") as f:
    f.write("TITLE \"bench show\"\nLUT_3D_SIZE %d\n" % n)
    s = lambda v: v * v * (3 - 2 * v) * 0.6 + v * 0.4
    for b in range(n):
        for g in range(n):
            for r in range(n):
                f.write("%.6f %.6f %.6f\n" % (min(1, s(r / 32) * 1.03), s(g / 32), s(b / 32) * 0.97))
PY
mkcard() { # mkcard DIR LABEL FROM TO: clips as copies of the source (a card is its own files)
	mkdir -p "$1/$2"
	for i in $(seq "$3" "$4"); do cp "$clip" "$1/$2/A001C$(printf %03d "$i")_251207_R1AB.mov"; done
}

# The post house, the cart (server, worker with 2 slots), on loopback.
"$sp" keygen -o "$work/post.key" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$work/post.key")
bench_serve post "$work/post" --age-identity "$work/post.key" --log-level warn
pids+=("$bench_pid")
post=$bench_url
ptoken=$("$sp" token create --role post --name cart --data "$work/post" 2>/dev/null | tail -n 1)
bench_serve cart "$work/cart" --outbound-allow 127.0.0.1/32 --log-level warn
pids+=("$bench_pid")
cart=$bench_url
token=$("$sp" token create --role admin --name dit --data "$work/cart" 2>/dev/null | tail -n 1)
"$sp" worker --data "$work/cart" --slots 2 --outbound-allow 127.0.0.1/32 >"$work/worker.out" 2>"$work/worker.log" &
pids+=($!)
api() { curl -sf -H "Authorization: Bearer $token" -H "Content-Type: application/json" "$cart$@"; }
# Two destinations on two distinct volumes (a card is safe with copies on two): tmpfs mounts,
# which need root; the by-hand copies go to the same two.
[ "$(id -u)" -eq 0 ] || { echo "day bench: needs root to mount two tmpfs destinations" >&2; exit 1; }
mkdir -p "$work/raid" "$work/shuttle" "$work/cards"
mb=$(( $(stat -c %s "$clip") * ((nclips + 1) * bench_rounds + nclips + 1) / 1048576 + 64 ))
mount -t tmpfs -o size=${mb}m tmpfs "$work/raid"
mount -t tmpfs -o size=${mb}m tmpfs "$work/shuttle"
offload() { "$sp" offload "$work/cards/$1" --to "$work/raid" --to "$work/shuttle" --register "$cart" \
	--token "$token" --production Bench --day 2026-12-07 --no-progress >"$work/offload-$1.out" 2>&1 ||
	{ cat "$work/offload-$1.out" >&2; exit 1; }; }
delivered() { api "/api/v1/deliveries" | jq "[.items[] | select(.rendition_id != null and .state == \"delivered\")] | length"; }

# Not timed: a first card of one clip makes the production; then its show LUT, the post house as
# a target and "proxies go to Post".
mkcard "$work/cards" A000R1AB 0 0
offload A000R1AB
curl -sf -H "Authorization: Bearer $token" "$cart/api/v1/luts?name=show&production_id=1" \
	--data-binary @"$work/show.cube" >/dev/null || { echo "day bench: the show LUT was refused" >&2; exit 1; }
api /api/v1/productions/1 -X PATCH -d '{"show_lut_id":1}' >/dev/null
api /api/v1/targets -d "{\"production_id\":1,\"name\":\"Post\",\"url\":\"$post/api/v1/uploads/\",
	\"recipient\":\"$recipient\",\"headers\":{\"Authorization\":\"Bearer $ptoken\"}}" >/dev/null
api /api/v1/delivery-rules -d '{"production_id":1,"target_id":1,"what":"proxies"}' >/dev/null
api /api/v1/days/1/send -X POST >/dev/null
for _ in $(seq 1200); do [ "$(delivered)" -ge 1 ] && break; sleep 0.25; done
[ "$(delivered)" -ge 1 ] || { echo "day bench: the first card's proxy was not delivered" >&2; tail "$work/worker.log" >&2; exit 1; }
mapfile -t cmd < <(api "/api/v1/jobs?kind=transcode&state=done&limit=1" | jq -r '.items[0].result.commands.h264_1080[]')
[ "${#cmd[@]}" -gt 10 ] || { echo "day bench: no transcode command recorded" >&2; exit 1; }
base=$(delivered)

card_through() { # card_through LABEL FROM TO: offloads a card of clips FROM..TO and waits for
	# every proxy verified at the post house; sets t0, first, last (absolute times)
	local n want=$((base + $3 - $2 + 1))
	mkcard "$work/cards" "$1" "$2" "$3"
	sync
	first=""
	t0=$(now)
	offload "$1"
	for _ in $(seq 12000); do
		n=$(delivered)
		[ -n "$first" ] || [ "$n" -le "$base" ] || first=$(now)
		[ "$n" -ge "$want" ] && break
		sleep 0.25
	done
	[ "$n" -ge "$want" ] || { echo "day bench: $n of $want proxies delivered" >&2; exit 1; }
	last=$(now)
	base=$n
}
setpost_day() { # one clip alone, then the card, through setpost; records alone, first, last
	local label=A$(printf %03d $((bench_round)))R1AB
	card_through "B$(printf %03d $((bench_round)))R1AB" $((bench_round * 100 + 99)) $((bench_round * 100 + 99))
	bench_record alone "$(calc %.3f "$last - $t0")"
	card_through "$label" $((bench_round * 100 + 1)) $((bench_round * 100 + nclips))
	bench_record first "$(calc %.3f "$first - $t0")"
	bench_record last "$(calc %.3f "$last - $t0")"
	echo "   setpost: card $label, timeline (seconds from the offload's start; server clocks)"
	api "/api/v1/deliveries" | jq -r --arg t0 "$t0" --arg card "$label" '
		[.items[] | select(.rendition_id != null and .state == "delivered")] | .[] | "\(.id) \(.updated_at)"' |
		while read -r id at; do echo "$id $(calc %.1f "$(date -d "$at" +%s.%N) - $t0")"; done |
		sort -k2 -n | tail -n "$nclips" | awk '{ printf "     delivery %s verified at the post house at %s s\n", $1, $2 }'
	echo "     offload: $(grep -o 'safe to format: [A-Z]*' "$work/offload-$label.out" | head -n 1)"
	echo "     jobs (kind payload-clip: created / started / finished, seconds from the offload's start)"
	api "/api/v1/jobs?limit=500" | jq -r '.items[] | "\(.id) \(.kind) \(.payload.clip_id // .payload.rendition_id // .payload.card_id // "-") \(.created_at) \(.started_at // .created_at) \(.finished_at // .created_at) \(if .kind == "transcode" and .result.ffmpeg_seconds then "ffmpeg=\(.result.ffmpeg_seconds * 10 | round / 10)s" else "" end)"' |
		while read -r id kind what c s f extra; do
			ct=$(date -d "$c" +%s.%N); [ "$(calc %d "($ct > $t0)")" = 1 ] || continue
			echo "$id $kind $what $(calc %.1f "$ct - $t0") $(calc %.1f "$(date -d "$s" +%s.%N) - $t0") $(calc %.1f "$(date -d "$f" +%s.%N) - $t0") $extra"
		done | sort -n | awk '{ printf "       %-6s %-11s %-5s %6s %6s %6s %s\n", $1, $2, $3, $4, $5, $6, $7 }'
}

# By hand: the same card, the same steps one after another.
mkdir -p "$work/nginx/logs" "$work/nginx/up" "$work/nginx/body"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
user root root;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $work/nginx/body;
	server {
		listen 127.0.0.1:$port;
		client_max_body_size 0;
		location /up/ { root $work/nginx; dav_methods PUT; create_full_put_path on; }
	}
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
gi=0
for i in "${!cmd[@]}"; do [ "${cmd[$i]}" = "-filter_complex" ] && gi=$((i + 1)); done
graph=${cmd[$gi]}
size=$(sed -n 's/^\[0:v:0\]scale=\([0-9]*:[0-9]*\):.*/\1/p' <<<"$graph")
burnin=$(sed -n 's/.*setsar=1,\(.*\)\[v\]$/\1/p' <<<"$graph")
naive="[0:v:0]scale=in_color_matrix=bt709:in_range=tv:out_range=pc,format=gbrp16le,lut3d=file=$work/show.cube,scale=$size:flags=bicubic:out_color_matrix=bt709:in_range=pc:out_range=tv,format=yuv420p,setsar=1${burnin:+,$burnin}[v]"
by_hand() {
	local label=H$(printf %03d "$bench_round") t0 t1 t2 t3 f out
	mkcard "$work/hand" "$label" 1 "$nclips"
	sync
	t0=$(now)
	for d in raid shuttle; do mkdir -p "$work/$d/hand"; cp -r "$work/hand/$label" "$work/$d/hand/"; done
	sync
	xxhsum -H1 "$work/hand/$label"/*.mov "$work/raid/hand/$label"/*.mov "$work/shuttle/hand/$label"/*.mov >"$work/hand-$label.xxh"
	t1=$(now)
	mkdir -p "$work/hand-proxies/$label"
	for f in "$work/raid/hand/$label"/*.mov; do
		out=$work/hand-proxies/$label/$(basename "$f" .mov).mp4
		local c=("${cmd[@]}")
		c[$gi]=$naive
		for i in "${!c[@]}"; do [[ ${c[$i]} == file:*.mov ]] && [ "${c[$((i - 1))]}" = -i ] && c[$i]="file:$f"; done
		c[${#c[@]}-1]="file:$out"
		"${c[@]}" 3>/dev/null
	done
	t2=$(now)
	for f in "$work/hand-proxies/$label"/*.mp4; do
		curl -sf -T "$f" "http://127.0.0.1:$port/up/$label/$(basename "$f")" >/dev/null
	done
	t3=$(now)
	bench_record hand "$(calc %.3f "$t3 - $t0")"
	echo "   by hand: copies + sync + xxhsum $(calc %.1f "$t1 - $t0") s, ffmpeg $(calc %.1f "$t2 - $t1") s, curl -T $(calc %.1f "$t3 - $t2") s"
	rm -rf "$work/hand/$label" "$work/raid/hand/$label" "$work/shuttle/hand/$label"
}
echo "== $nclips clips x $secs s of 1080p ProRes 422 HQ; $bench_rounds round(s)"
bench_interleave setpost_day by_hand
bench_row "setpost: offload start to the first proxy verified at the post house" first s
bench_row "setpost: offload start to the last proxy verified at the post house" last s
bench_row "setpost: one clip alone, offload start to its proxy verified" alone s
bench_row "by hand: cp x2 + sync + xxhsum, ffmpeg (naive look), curl -T" hand s
bench_ratio "setpost card to last proxy verified / by hand" last hand "<=" 0.5
bench_ratio "setpost first proxy of the card / one clip alone" first alone "<=" 1.5
bench_end

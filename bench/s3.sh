#!/usr/bin/env bash
# bench/s3: setpost's S3 delivery (worker, multipart upload signed by libcurl, per-part SHA-256,
# HEAD check) against `rclone copy` (Debian's rclone) of the same files to the same server, in
# the same run: tests/s3/s3-server.mjs (s3rver) on loopback. Two camera-raw files of
# SETPOST_BENCH_MIB MiB each (default 256; 8 under SETPOST_BENCH_SMOKE=1) on a registered card;
# each round delivers both with POST /api/v1/deliveries and times from the POST to both
# `delivered`, to a plain target and to one with an age recipient (encrypted on the way), and
# times `rclone copy` of the two files (its defaults: multipart above 200 MiB, 4 parts at once,
# MD5 per part). Rate = bytes / seconds. Targets: plain >= 1.0 of rclone's rate, encrypted
# >= 0.8. Needs root (two tmpfs volumes for the card, as the journeys).
#   bench/s3.sh [build/setpost]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
mib=${SETPOST_BENCH_MIB:-$(bench_size 256 8)}
[ "$(id -u)" -eq 0 ] || { echo "s3 bench: needs root (tmpfs volumes)"; exit 0; }
command -v rclone >/dev/null || { echo "s3 bench: rclone is missing (make deps)" >&2; exit 1; }
[ -d "$top/tests/s3/node_modules/s3rver" ] || npm ci --prefix "$top/tests/s3" --no-audit --no-fund >/dev/null
bench_pg_start s3
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	umount "$work/raid" "$work/shuttle" 2>/dev/null || true
	bench_pg_stop
}
trap cleanup EXIT
bench_begin s3

node "$top/tests/s3/s3-server.mjs" 0 "$work/bucket" --bucket media --key AKBENCH:bench-secret --quiet >"$work/s3.log" 2>"$work/s3.err" &
pids+=($!)
for _ in $(seq 100); do grep -qs "^port " "$work/s3.log" && break; sleep 0.1; done
s3=http://127.0.0.1:$(sed -n 's/^port //p' "$work/s3.log")
export SETPOST_DATABASE_URL=$db
bench_serve serve "$work/cart" --outbound-allow 127.0.0.1/32 --log-level warn
pids+=("$bench_pid")
url=$bench_url
export SETPOST_TOKEN=$("$sp" token create --role admin --name bench | tail -n 1)
"$sp" worker --slots ${SLOTS:-2} --data "$work/cart" --outbound-allow 127.0.0.1/32 --log-level warn >"$work/worker.out" 2>"$work/worker.log" &
pids+=($!)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" "$url$@"; }

mkdir -p "$work/card/A001R1AB" "$work/raid" "$work/shuttle"
for n in 1 2; do head -c $((mib << 20)) /dev/urandom >"$work/card/A001R1AB/A001C00${n}_250101_R1AB.R3D"; done
mount -t tmpfs -o size=$((mib * 2 + 64))m tmpfs "$work/raid"
mount -t tmpfs -o size=$((mib * 2 + 64))m tmpfs "$work/shuttle"
"$sp" offload "$work/card/A001R1AB" --to "$work/raid" --to "$work/shuttle" --register "$url" \
	--production Bench --day 2026-12-07 --no-progress >"$work/offload.out" 2>&1 ||
	{ cat "$work/offload.out" >&2; exit 1; }
rm -rf "$work/card"
card=$(api /api/v1/cards | jq -r '.items[0].id')
fids=()
for c in $(api "/api/v1/cards/$card" | jq -r '.clips[].id'); do fids+=("$(api "/api/v1/clips/$c" | jq -r '.files[0].id')"); done
srcdir=$(dirname "$(find "$work/raid" -name '*.R3D' | head -n 1)")
bytes=$(cat "$srcdir"/*.R3D | wc -c)
"$sp" keygen -o "$work/post.key" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$work/post.key")
target() { # name [extra json]
	api /api/v1/targets -d "{\"production_id\":1,\"name\":\"$1\",\"kind\":\"s3\",\"url\":\"$s3\",
		\"s3\":{\"region\":\"us-east-1\",\"bucket\":\"media\",\"prefix\":\"$1/\"},
		\"credentials\":{\"access_key_id\":\"AKBENCH\",\"secret_access_key\":\"bench-secret\"}${2:-}}" | jq -r .id
}
tplain=$(target plain)
tage=$(target age ",\"recipient\":\"$recipient\"")

# One round of deliveries of both files to target $1; sets $secs.
deliver() {
	local t0 t1 ids=() id
	t0=$(date +%s.%N)
	for f in "${fids[@]}"; do ids+=("$(api /api/v1/deliveries -d "{\"target_id\":$1,\"file_id\":$f}" | jq -r .id)"); done
	local q; q=$(IFS=,; echo "${ids[*]}")
	for _ in $(seq 30000); do
		local s; s=$(api /api/v1/deliveries | jq -r "[.items[] | select(.id as \$i | [$q] | index(\$i)) | .state] | unique | join(\",\")")
		[ "$s" = delivered ] && break
		case "$s" in *failed*) echo "s3 bench: a delivery failed: $(api /api/v1/deliveries | jq -c '.items[0]')" >&2; cat "$work/s3.err" >&2; exit 1 ;; esac
		sleep 0.05
	done
	t1=$(date +%s.%N)
	secs=$(echo "$t1 - $t0" | bc -l)
}
side_plain() { deliver "$tplain"; bench_record plain "$secs"; }
side_age() { deliver "$tage"; bench_record age "$secs"; }
side_rclone() {
	local t0 t1
	t0=$(date +%s.%N)
	env -u AWS_CA_BUNDLE RCLONE_CONFIG_B_TYPE=s3 RCLONE_CONFIG_B_PROVIDER=Other \
		RCLONE_CONFIG_B_ACCESS_KEY_ID=AKBENCH RCLONE_CONFIG_B_SECRET_ACCESS_KEY=bench-secret \
		RCLONE_CONFIG_B_ENDPOINT="$s3" RCLONE_CONFIG_B_FORCE_PATH_STYLE=true \
		rclone copy -q --no-check-dest "$srcdir" "b:media/rclone-$bench_round/"
	t1=$(date +%s.%N)
	bench_record rclone "$(echo "$t1 - $t0" | bc -l)"
}
echo "== $bench_rounds rounds: rclone copy, setpost plain, setpost age ($((bytes >> 20)) MiB in 2 files each)"
bench_interleave side_rclone side_plain side_age
bench_row "rclone copy      " rclone s
bench_row "setpost s3 plain " plain s
bench_row "setpost s3 age   " age s
mbs() { echo "scale=1; $bytes / $(bench_median "$1") / 1000000" | bc -l; }
echo "rates (MB/s, medians): rclone $(mbs rclone), setpost plain $(mbs plain), setpost age $(mbs age)"
bench_ratio "setpost s3 plain / rclone (rate)" rclone plain ">=" 1.0
bench_ratio "setpost s3 age / rclone (rate)" rclone age ">=" 0.8
bench_end

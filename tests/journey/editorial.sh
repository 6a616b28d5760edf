#!/usr/bin/env bash
# Editorial's day, through the CLI and the HTTP API only: three camera cards shot at 23.976,
# 25 and 29.97 drop-frame (real ProRes files from ffmpeg, their timecode in a tmcd track)
# offloaded and registered, probed and proxied by a real worker; the day's ALE index names
# one file per rate; `setpost pull` over plain HTTP with --limit-rate keeps the pace (still in
# the middle after a second) and writes the proxies and one ALE per rate, each checked
# strictly: FPS, AUDIO_FORMAT and VIDEO_FORMAT of the proxies, the columns, every timecode a
# label of its file's rate (';' only in the drop-frame one), End - Start = Duration, Source
# File naming a file pull wrote. A day without looks has no .ccc.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
tmp=$(mktemp -d /tmp/sp-editorial.XXXXXX)
chmod 755 "$tmp"
db="journey_editorial_$$"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	umount "$tmp/raid" "$tmp/shuttle" 2>/dev/null || true
	rm -rf "$tmp"
	psql -q "$SETPOST_TEST_PG" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
}
trap cleanup EXIT
on_fail() { tail -n 15 "$tmp/worker.log" >&2 2>/dev/null || true; }

psql -q "$SETPOST_TEST_PG" -c "CREATE DATABASE $db" >/dev/null
export SETPOST_DATABASE_URL="${SETPOST_TEST_PG/dbname=postgres/dbname=$db}"
"$bin" serve --listen 127.0.0.1:0 --data "$tmp/data" >"$tmp/serve.out" 2>"$tmp/serve.log" &
pids+=($!)
for _ in $(seq 100); do grep -qs "listening on" "$tmp/serve.out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$tmp/serve.out")
[[ $url == http://* ]] || fail "server did not start: $(tail -n 3 "$tmp/serve.log")"
"$bin" worker --slots 2 --data "$tmp/data" >"$tmp/worker.out" 2>"$tmp/worker.log" &
pids+=($!)
admin=$("$bin" token create --role admin --name dit | tail -n 1)
editor=$("$bin" token create --role editor --name "Avid bay 2" | tail -n 1)
api() { curl -sf -H "Authorization: Bearer $admin" "$url/api/v1/$1"; }

mkdir -p "$tmp/raid" "$tmp/shuttle"
copies=1
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=256m tmpfs "$tmp/raid" &&
	mount -t tmpfs -o size=256m tmpfs "$tmp/shuttle"; then
	copies=2
fi

# Three cards, one rate each; 3 s of moving test pattern and a tone, timecode in tmcd.
card() { # label rate timecode
	mkdir -p "$tmp/cards/$1"
	ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=640x360:rate=$2:d=3" \
		-f lavfi -i "sine=f=440:r=48000:d=3" -c:v prores_ks -profile:v 0 -c:a pcm_s16le \
		-timecode "$3" -metadata:s:v:0 reel_name="$1" "$tmp/cards/$1/${1}C001.mov"
}
card A001 24000/1001 10:00:00:00
card B001 25 11:00:00:00
card C001 30000/1001 "12:00:59;28"
for c in A001 B001 C001; do
	"$bin" offload "$tmp/cards/$c" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
		--production Editorial --day 2026-12-07 --token "$admin" --no-progress >"$tmp/offload.out" 2>&1 ||
		fail "offload of $c: $(cat "$tmp/offload.out")"
done
prod=$(api productions | jq -r '.items[] | select(.name == "Editorial") | .id')
curl -sf -X PATCH -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
	-d "{\"required_copies\": $copies}" "$url/api/v1/productions/$prod" >/dev/null ||
	fail "PATCH the production"
for _ in $(seq 300); do
	[[ $(api "renditions?limit=50" | jq '[.items[] | select(.state == "done")] | length') == 3 ]] && break
	sleep 0.5
done
[[ $(api "renditions?limit=50" | jq '[.items[] | select(.state == "done")] | length') == 3 ]] ||
	fail "three proxies: $(api "renditions?limit=50") $(api "clips" | jq -c '[.items[] | {name, state, state_reason}]')"
ok "three cards at 23.976, 25 and 29.97DF offloaded, registered, probed and proxied"

day=$(api days | jq -r '.items[] | select(.shoot_date == "2026-12-07") | .id')
idx=$(curl -sf -H "Authorization: Bearer $editor" "$url/api/v1/days/$day/ales")
[[ $(jq -r '[.files[].name] | join(" ")' <<<"$idx") == \
	"2026-12-07_23.976.ale 2026-12-07_25.ale 2026-12-07_29.97DF.ale" ]] || fail "index: $idx"
[[ $(jq -r '.profile' <<<"$idx") == h264_1080 ]] || fail "the production's first active profile: $idx"
code=$(curl -s -o "$tmp/409.json" -w '%{http_code}' -H "Authorization: Bearer $editor" "$url/api/v1/days/$day/ale")
[[ $code == 409 ]] && jq -e '.error.code == "conflict"' "$tmp/409.json" >/dev/null ||
	fail "a mixed day asked for one ALE: $code $(cat "$tmp/409.json")"
ok "the day's ALE index names one file per rate; one ALE for the mixed day is refused (409)"

# pull over plain HTTP, slowed down: still at it after a second (it used to take it all at once).
dest=$tmp/cut
total=$(api "renditions?limit=50" | jq '[.items[].size] | add')
export SETPOST_PULL_BYTES_LOG=$tmp/bytes.log
SETPOST_TOKEN=$editor "$bin" pull "$url" "$dest" --limit-rate 1M >"$tmp/pull.out" 2>&1 &
p=$!
pids+=($p)
sleep 1
got=$(awk '{s += $1} END {print s + 0}' "$tmp/bytes.log" 2>/dev/null || echo 0)
kill -0 "$p" 2>/dev/null || fail "pull at 1M/s finished $total bytes within a second: $(cat "$tmp/pull.out")"
[[ $got -lt $((total / 2)) ]] || fail "$got of $total bytes in a second at 1M/s"
wait "$p" || fail "pull: $(cat "$tmp/pull.out")"
ok "pull --limit-rate over plain HTTP keeps the pace ($got of $total bytes after 1 s)"

# Each ALE, strictly.
check_ale() { # file rate-key fps
	local f=$1 key=$2 fps=$3 sep=':'
	[[ -f $f ]] || fail "$f missing: $(ls "$dest/2026-12-07")"
	tr -d '\r' <"$f" >"$tmp/ale.txt"
	grep -qx "FPS	$fps" "$tmp/ale.txt" || fail "$f: FPS $fps: $(head -n 6 "$tmp/ale.txt")"
	grep -qx "VIDEO_FORMAT	CUSTOM" "$tmp/ale.txt" || fail "$f: VIDEO_FORMAT of a 640x360 proxy"
	grep -qx "AUDIO_FORMAT	48khz" "$tmp/ale.txt" || fail "$f: AUDIO_FORMAT: $(head -n 6 "$tmp/ale.txt")"
	[[ $(sed -n '/^Column$/{n;p}' "$tmp/ale.txt") == \
		$'Name\tTracks\tStart\tEnd\tDuration\tTape\tSource File\tScene\tTake\tCamroll\tSoundroll\tASC_SOP\tASC_SAT\tCircled' ]] ||
		fail "$f: columns"
	[[ $key == *DF ]] && sep=';'
	if [[ $sep == ':' ]]; then ! grep -q ';' "$tmp/ale.txt" || fail "$f: ';' under a non-drop rate"; fi
	sed -n '/^Data$/,$p' "$tmp/ale.txt" | tail -n +2 | while IFS=$'\t' read -r name tracks start end dur tape src rest; do
		[[ $start =~ ^[0-9]{2}:[0-9]{2}:[0-9]{2}[$sep][0-9]{2}$ ]] || fail "$f $name: Start $start"
		[[ $end =~ ^[0-9]{2}:[0-9]{2}:[0-9]{2}[$sep][0-9]{2}$ ]] || fail "$f $name: End $end"
		[[ -f $dest/2026-12-07/${name:0:4}/$src ]] || fail "$f $name: Source File $src not pulled"
		echo "$name $start $end $dur $tape"
	done >"$tmp/rows.txt"
	[[ $(wc -l <"$tmp/rows.txt") == 1 ]] || fail "$f: one row: $(cat "$tmp/rows.txt")"
}
check_ale "$dest/2026-12-07/2026-12-07_23.976.ale" 23.976 23.976
grep -qx 'A001C001 10:00:00:00 10:00:03:00 00:00:03:00 A001' "$tmp/rows.txt" || fail "23.976 row: $(cat "$tmp/rows.txt")"
check_ale "$dest/2026-12-07/2026-12-07_25.ale" 25 25
grep -qx 'B001C001 11:00:00:00 11:00:03:00 00:00:03:00 B001' "$tmp/rows.txt" || fail "25 row: $(cat "$tmp/rows.txt")"
check_ale "$dest/2026-12-07/2026-12-07_29.97DF.ale" 29.97DF 29.97
# 90 frames from 12:00:59;28: ;28 ;29, then from ;02 of the next minute (;00 ;01 are dropped).
grep -qx 'C001C001 12:00:59;28 12:01:03;00 00:00:03;00 C001' "$tmp/rows.txt" || fail "29.97DF row: $(cat "$tmp/rows.txt")"
[[ ! -e $dest/2026-12-07/2026-12-07.ccc ]] || fail "a day without looks got a .ccc"
ok "pull wrote one ALE per rate: FPS, AUDIO_FORMAT, VIDEO_FORMAT of the proxy, columns, timecodes of its rate, Source File beside it; no empty .ccc"

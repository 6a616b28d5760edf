#!/usr/bin/env bash
# The whole chain, cart to cutting room, with real parts only: a camera card offloaded to two
# copies and registered (setpost offload --register), a worker that probes it and makes its
# proxy; then the sound roll offloaded, matched by timecode, and the proxy made again with the
# production sound on the flash frame; then `setpost pull` over HTTPS with an editor token into
# an empty folder, killed -9 in the middle of the file and run again: the tree, the xxh64 and
# the ALE are right, and the bytes received are the dailies' size plus at most what the killed
# run had written.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
cli_tmp dailies
on_fail() { tail -n 15 "$tmp/worker.log" >&2 2>/dev/null || true; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null
cli_db dailies
export SETPOST_DATABASE_URL=$CLI_DB
sql() { psql -qtA "$SETPOST_DATABASE_URL" -c "$1"; }
cli_serve "$tmp/serve" --data "$tmp/data" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
[[ $url == https://* ]] || fail "server: $(tail -n 3 "$tmp/serve.log")"
"$bin" worker --slots 2 --data "$tmp/data" >"$tmp/worker.out" 2>"$tmp/worker.log" &
cli_track $!
admin=$("$bin" token create --role admin --name dit | tail -n 1)
editor=$("$bin" token create --role editor --name "Avid bay 2" | tail -n 1)
api() { curl -sf --cacert "$tmp/cert.pem" -H "Authorization: Bearer $admin" "$url/api/v1/$1"; }
# wait_for SECONDS SQL: until the query answers t
wait_for() {
	for _ in $(seq $(($1 * 5))); do
		[[ $(sql "$2") == t ]] && return 0
		sleep 0.2
	done
	return 1
}

"$top/tests/fixtures/make-sync-clip.sh" "$tmp/cards"
mkdir -p "$tmp/raid" "$tmp/shuttle"
# Both destinations are on this test's one file system, which counts as one volume: this
# production asks for one copy (tests/cli/register.sh proves distinct volumes with tmpfs). The
# fixture is a still chart, which QC rightly calls frozen: no hold for that here. Its proxy is
# made at a constant 60 Mb/s (x264 pads with filler) so that it is big enough (about 14 MB) to
# kill the pull in the middle of.
cbr='-c:v libx264 -preset ultrafast -x264-params nal-hrd=cbr -minrate 60M -maxrate 60M -bufsize 60M'
sql "INSERT INTO productions (name, required_copies, settings) VALUES ('Dailies', 1,
	'{\"qc\": {\"hold\": \"never\"}, \"proxy_profiles\": {\"h264_1080\":
	  {\"video\": \"$cbr\", \"video_bitrate\": \"60M\"}}}')" >/dev/null
"$bin" offload "$tmp/cards/A001R1AB" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
	--production Dailies --day 2026-11-25 --token "$admin" --cacert "$tmp/cert.pem" --no-progress >"$tmp/offload1.out" 2>&1 ||
	fail "offload of the camera card: $(cat "$tmp/offload1.out")"
wait_for 90 "SELECT state = 'proxied' FROM clips WHERE name = 'A001C003_251125_R1AB'" ||
	fail "the clip was not proxied: $(sql "SELECT state, state_reason FROM clips")"
first=$(sql "SELECT id || ' ' || xxh64 FROM renditions WHERE state = 'done'")
ok "camera card offloaded, registered, probed and proxied by the worker"

# The sound roll arrives later, as it does on set: the match, then the proxy made again.
"$bin" offload "$tmp/cards/SOUND01" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
	--production Dailies --day 2026-11-25 --token "$admin" --cacert "$tmp/cert.pem" --no-progress >"$tmp/offload2.out" 2>&1 ||
	fail "offload of the sound roll: $(cat "$tmp/offload2.out")"
wait_for 60 "SELECT count(*) = 1 FROM clip_sound WHERE method = 'timecode' AND offset_frames = 50" ||
	fail "no sound match: $(sql "SELECT * FROM clip_sound")"
wait_for 90 "SELECT id || ' ' || xxh64 <> '$first' FROM renditions WHERE state = 'done'" ||
	fail "the proxy was not made again: $(sql "SELECT id, state, xxh64, error FROM renditions")"
wait_for 30 "SELECT state = 'proxied' FROM clips WHERE name = 'A001C003_251125_R1AB'" ||
	fail "not proxied again"
proxy=$tmp/data/renditions/$(sql "SELECT rel_path FROM renditions WHERE state = 'done'")
# The production sound is silent but for a burst from the flash (1.0 s into the picture).
level() { # level FILE START DURATION: RMS dB of the first audio stream there
	ffmpeg -nostdin -v error -ss "$2" -t "$3" -i "$1" -map 0:a:0 -af astats=metadata=1:reset=0,ametadata=print:key=lavfi.astats.Overall.RMS_level:file=- \
		-f null - 2>/dev/null | sed -n 's/.*RMS_level=//p' | tail -n 1
}
quiet=$(level "$proxy" 0.2 0.6)
burst=$(level "$proxy" 1.05 0.3)
awk -v q="$quiet" -v b="$burst" 'BEGIN { exit !((q == "-inf" || q < -60) && b > -30) }' ||
	fail "the proxy's sound is not the production sound on the flash: quiet part $quiet dB, burst $burst dB"
ok "sound roll offloaded later: matched by timecode (50 frames), the proxy made again with it (burst $burst dB, silence $quiet dB)"

# Editorial: pull into an empty folder, killed -9 mid-file (slowed down to have a middle).
dest=$tmp/cutting-room
export SETPOST_PULL_BYTES_LOG=$tmp/bytes.log
size=$(sql "SELECT size FROM renditions WHERE state = 'done'")
name=$(basename "$proxy")
part=$dest/2026-11-25/A001R1AB/$name.part
SETPOST_TOKEN=$editor "$bin" pull "$url" "$dest" --cacert "$tmp/cert.pem" --limit-rate 2M \
	--no-progress >"$tmp/pull1.out" 2>&1 &
p=$!
cli_track "$p"
for _ in $(seq 150); do
	[[ $(stat -c %s "$part" 2>/dev/null || echo 0) -gt $((size / 4)) ]] && break
	sleep 0.1
done
kill -9 "$p" 2>/dev/null || true
wait "$p" 2>/dev/null || true
had=$(stat -c %s "$part" 2>/dev/null || echo 0)
[[ $had -gt 0 && $had -lt $size ]] || fail "not killed mid-file: $had of $size bytes ($(ls -R "$dest"))"
SETPOST_TOKEN=$editor "$bin" pull "$url" "$dest" --cacert "$tmp/cert.pem" --no-progress \
	>"$tmp/pull2.out" 2>&1 || fail "second pull: $(cat "$tmp/pull2.out")"
cmp "$proxy" "$dest/2026-11-25/A001R1AB/$name" || fail "the pulled proxy differs"
[[ $(xxhsum -H1 "$dest/2026-11-25/A001R1AB/$name" 2>/dev/null | cut -d' ' -f1) == $(sql "SELECT xxh64 FROM renditions WHERE state = 'done'") ]] ||
	fail "xxh64 of the pulled proxy"
received=$(awk '{s += $1} END {print s + 0}' "$tmp/bytes.log")
[[ $received -ge $size && $received -le $((size + had)) ]] ||
	fail "received $received bytes for a $size-byte proxy ($had written before the kill)"
ale=$dest/2026-11-25/2026-11-25.ale
grep -q $'^A001C003_251125_R1AB\tV' "$ale" || fail "ALE row: $(cat -A "$ale")"
grep -q "$name" "$ale" || fail "ALE Source File: $(cat -A "$ale")"
grep -q $'\tSOUND01\t' "$ale" || fail "ALE Soundroll: $(cat -A "$ale")"
[[ -z $(find "$dest" -name '*.part') ]] || fail "leftovers: $(find "$dest")"
ok "pulled over HTTPS, killed -9 at $had of $size bytes and run again: same bytes, xxh64 and ALE; $received bytes received in all"
echo "dailies.sh: all passed"

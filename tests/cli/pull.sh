#!/usr/bin/env bash
# setpost pull over HTTPS (a self-signed certificate, --cacert) with an editor token: renditions
# registered the way the transcode job leaves them (small real mp4s from ffmpeg, plus one file of
# random bytes big enough to be killed in the middle of), pulled into an empty folder, killed -9
# mid-file, interrupted with Ctrl-C, pulled again: the tree, the hashes and the ALE are right and the bytes received in
# total are the dailies' size plus at most one interrupted write. A file corrupted on the server
# is refused. --watch brings a rendition that becomes ready afterwards.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
cli_tmp pull

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null
cli_db pull
DB=$CLI_DB
SETPOST_DATABASE_URL=$DB cli_serve "$tmp/srv" --data "$tmp/srv" \
	--tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
[[ $url == https://* ]] || fail "server did not start over HTTPS: $url $(tail -n 3 "$tmp/srv.log")"
export SETPOST_TOKEN=$(SETPOST_DATABASE_URL=$DB "$bin" token create --role editor --name bay2 | tail -n 1)
sql() { psql -qtA "$DB" -c "$1"; }

R=$tmp/srv/renditions
mkdir -p "$R/2026-11-25"
sql "INSERT INTO productions (name, settings) VALUES ('P', '{\"proxy_profiles\": {\"avid\":
	  {\"base\": \"h264_1080\"}, \"web\": {\"base\": \"h264_720\"}}, \"proxy_active\": [\"avid\", \"web\"]}');
	INSERT INTO days (production_id, shoot_date) VALUES (1, '2026-11-25');
	INSERT INTO cards (day_id, label, camera) VALUES (1, 'A001', 'A'), (1, 'B001', 'B');
	INSERT INTO clips (card_id, name, scene, take, circled, start_tc, fps_num, fps_den, duration_frames,
	  width, height, look) SELECT 1 + (g > 2)::int, (CASE WHEN g > 2 THEN 'B001C00' ELSE 'A001C00' END) || g,
	  '12', g::text, g = 1, '01:00:0' || g || ':00', 25, 1, 25, 320, 180,
	  CASE WHEN g = 1 THEN '{\"slope\":[1.1,1,1],\"offset\":[0,0,0],\"power\":[1,1,1],\"sat\":0.8}'::jsonb END
	  FROM generate_series(1, 6) g" >/dev/null
# A rendition as the transcode job leaves it: a file under the renditions folder, done, with
# its size, xxh64 and the time it finished.
rendition() { # clip_id file seconds-after
	local f=$R/2026-11-25/$2
	sql "INSERT INTO renditions (clip_id, profile, state, rel_path, size, xxh64, finished_at)
		VALUES ($1, 'avid', 'done', '2026-11-25/$2', $(stat -c %s "$f"), '$(xxhsum -H1 "$f" 2>/dev/null | cut -d' ' -f1)',
		'2026-11-25 12:00:00+00'::timestamptz + interval '$3 seconds') RETURNING id"
}
for g in 1 2 3; do
	name=$( [[ $g -gt 2 ]] && echo B001C00$g || echo A001C00$g )
	ffmpeg -v error -f lavfi -i "testsrc2=size=320x180:rate=25" -t 1 -pix_fmt yuv420p \
		"$R/2026-11-25/$name.mp4"
	rendition "$g" "$name.mp4" "$g" >/dev/null
done
# Random bytes registered as a rendition: big enough to kill the pull in the middle of.
head -c 12000000 /dev/urandom >"$R/2026-11-25/B001C004.mp4"
rendition 4 B001C004.mp4 10 >/dev/null
total=$(sql "SELECT sum(size) FROM renditions")

# An empty folder; killed -9 mid-file (slowed down so there is a middle).
dest=$tmp/cut
export SETPOST_PULL_BYTES_LOG=$tmp/bytes.log
# pull_mid OUT BYTES: a pull slowed to 3 MB/s in the background ($p, output in OUT), once the
# big file's .part holds more than BYTES (10 s at the most).
pull_mid() {
	"$bin" pull "$url" "$dest" --cacert "$tmp/cert.pem" --limit-rate 3M >"$1" 2>&1 &
	p=$!
	cli_track "$p"
	for _ in $(seq 100); do
		s=$(stat -c %s "$dest/2026-11-25/B001/B001C004.mp4.part" 2>/dev/null || echo 0)
		[[ $s -gt $2 ]] && break
		sleep 0.1
	done
}
pull_mid "$tmp/pull1.out" 2000000
kill -9 "$p"
wait "$p" 2>/dev/null || true
[[ -f $dest/2026-11-25/B001/B001C004.mp4.part && ! -f $dest/2026-11-25/B001/B001C004.mp4 ]] ||
	fail "killed mid-file: $(ls -lR "$dest")"
[[ -f $dest/2026-11-25/A001/A001C001.mp4 ]] || fail "the small files came first: $(cat "$tmp/pull1.out")"
ok "killed -9 in the middle of a file ($(stat -c %s "$dest/2026-11-25/B001/B001C004.mp4.part") bytes of 12000000)"

# Ctrl-C: stops soon, keeps the .part, says how to go on.
pull_mid "$tmp/pull1b.out" 5000000
kill -INT "$p"
wait "$p" && fail "Ctrl-C: exit status 0"
grep -q 'stopped; run the same command again' "$tmp/pull1b.out" || fail "Ctrl-C: $(cat "$tmp/pull1b.out")"
[[ -f $dest/2026-11-25/B001/B001C004.mp4.part ]] || fail "Ctrl-C: the .part is kept"
ok "Ctrl-C in the middle of a file: stopped, .part kept ($(stat -c %s "$dest/2026-11-25/B001/B001C004.mp4.part") bytes)"

"$bin" pull "$url" "$dest" --cacert "$tmp/cert.pem" >"$tmp/pull2.out" 2>&1 ||
	fail "second run: $(cat "$tmp/pull2.out")"
for f in A001/A001C001 A001/A001C002 B001/B001C003 B001/B001C004; do
	cmp "$R/2026-11-25/${f#*/}.mp4" "$dest/2026-11-25/$f.mp4" || fail "$f differs"
done
[[ -z $(find "$dest" -name '*.part' -o -name '*.bad') ]] || fail "leftovers: $(find "$dest")"
received=$(awk '{s += $1} END {print s}' "$tmp/bytes.log")
[[ $received -ge $total && $received -le $((total + 524288)) ]] ||
	fail "received $received bytes for $total bytes of dailies"
ok "second run: same tree and hashes; $received bytes received for $total bytes of dailies"

ale=$dest/2026-11-25/2026-11-25.ale
[[ -f $ale && -f $dest/2026-11-25/2026-11-25.ccc ]] || fail "ALE and CCC beside the day: $(ls "$dest/2026-11-25")"
head -n 2 "$ale" | tr -d '\r' | paste -sd' ' | grep -qx 'Heading FIELD_DELIM	TABS' || fail "ALE heading: $(head -n 3 "$ale")"
grep -q $'^A001C001\tV\t01:00:01:00\t01:00:02:00\t00:00:01:00\tA001\tA001C001.mp4\t12\t1\tA001\t\t(1.1 1.0 1.0)(0.0 0.0 0.0)(1.0 1.0 1.0)\t0.8\tP_2026-11-25_12_clip-A001C001.cube\tYes\r$' "$ale" ||
	fail "ALE row of A001C001: $(grep A001C001 "$ale" | cat -A)"
[[ $(grep -c $'\tB001C00[0-9].mp4\t' "$ale") == 2 ]] || fail "ALE Source File of B001's clips"
grep -q '<ColorCorrection id="A001C001">' "$dest/2026-11-25/2026-11-25.ccc" || fail "CCC: $(cat "$dest/2026-11-25/2026-11-25.ccc")"
ok "the day's ALE and looks beside it"

: >"$tmp/bytes.log"
"$bin" pull "$url" "$dest" --cacert "$tmp/cert.pem" >"$tmp/pull3.out" 2>&1 || fail "third run: $(cat "$tmp/pull3.out")"
grep -q 'pulled 0 files, 0 bytes received; 4 already here; 0 refused' "$tmp/pull3.out" || fail "third run: $(cat "$tmp/pull3.out")"
[[ ! -s $tmp/bytes.log ]] || fail "nothing should be downloaded twice"
ok "run again: nothing fetched"

# A second profile of a clip whose file has the same name: skipped with a note, not fetched
# over the first one on every run.
mkdir -p "$R/web"
head -c 3000 /dev/urandom >"$R/web/A001C001.mp4"
web=$(sql "INSERT INTO renditions (clip_id, profile, state, rel_path, size, xxh64, finished_at)
	VALUES (1, 'web', 'done', 'web/A001C001.mp4', 3000, '$(xxhsum -H1 "$R/web/A001C001.mp4" 2>/dev/null | cut -d' ' -f1)',
	'2026-11-25 12:00:15+00') RETURNING id")
for run in 1 2; do
	"$bin" pull "$url" "$dest" --cacert "$tmp/cert.pem" >"$tmp/pull3$run.out" 2>&1 || fail "same name: $(cat "$tmp/pull3$run.out")"
	grep -q "A001C001.mp4: rendition $web (web) has the same name as rendition 1; skipped" "$tmp/pull3$run.out" ||
		fail "same name: $(cat "$tmp/pull3$run.out")"
done
[[ ! -s $tmp/bytes.log ]] && cmp -s "$R/2026-11-25/A001C001.mp4" "$dest/2026-11-25/A001/A001C001.mp4" ||
	fail "same name: the first file was replaced"
sql "DELETE FROM renditions WHERE id = $web" >/dev/null
ok "two profiles with the same file name: the second is skipped with a note"

# Without --cacert the self-signed certificate is refused.
"$bin" pull "$url" "$tmp/x" >"$tmp/pull4.out" 2>&1 && fail "an unknown certificate was trusted"
grep -qi 'certificate' "$tmp/pull4.out" || fail "unclear: $(cat "$tmp/pull4.out")"
ok "an unknown certificate is refused"

# A file that changed on the server after it was hashed: refused, kept aside, exit 1.
ffmpeg -v error -f lavfi -i "testsrc2=size=320x180:rate=25" -t 1 -pix_fmt yuv420p "$R/2026-11-25/B001C005.mp4"
bad=$(rendition 5 B001C005.mp4 20)
printf 'XXXX' | dd of="$R/2026-11-25/B001C005.mp4" bs=1 seek=1000 conv=notrunc 2>/dev/null
"$bin" pull "$url" "$dest" --cacert "$tmp/cert.pem" >"$tmp/pull5.out" 2>&1 && fail "a corrupted file was accepted"
grep -q 'B001C005.mp4: xxh64 is .* but the server says .*refused' "$tmp/pull5.out" || fail "unclear: $(cat "$tmp/pull5.out")"
[[ -f $dest/2026-11-25/B001/B001C005.mp4.bad && ! -e $dest/2026-11-25/B001/B001C005.mp4 ]] || fail "kept aside"
ok "a file whose bytes do not match is refused: $(grep -o 'B001C005.mp4: xxh64.*' "$tmp/pull5.out" | head -c 90)"
sql "DELETE FROM renditions WHERE id = $bad" >/dev/null

# --watch: a rendition that becomes ready afterwards arrives, woken by the event stream. A
# .part of unknown origin is already in its place: it must start over, not be continued.
head -c 5000 /dev/urandom >"$dest/2026-11-25/B001/B001C006.mp4.part"
"$bin" pull "$url" "$dest" --cacert "$tmp/cert.pem" --watch --rescan 600 >"$tmp/watch.out" 2>&1 &
w=$!
cli_track "$w"
for _ in $(seq 100); do grep -q 'already here' "$tmp/watch.out" && break; sleep 0.1; done
ffmpeg -v error -f lavfi -i "testsrc2=size=320x180:rate=25" -t 1 -pix_fmt yuv420p "$R/2026-11-25/B001C006.mp4"
id=$(rendition 6 B001C006.mp4 30)
sql "INSERT INTO events (kind, subject_type, subject_id) VALUES ('rendition.ready', 'rendition', $id)" >/dev/null
for _ in $(seq 100); do [[ -f $dest/2026-11-25/B001/B001C006.mp4 ]] && break; sleep 0.1; done
cmp "$R/2026-11-25/B001C006.mp4" "$dest/2026-11-25/B001/B001C006.mp4" || fail "--watch: $(cat "$tmp/watch.out")"
grep -q 'B001C006' "$dest/2026-11-25/2026-11-25.ale" || fail "--watch: the ALE is brought up to date"
kill -INT "$w"
wait "$w" || fail "--watch stops cleanly on SIGINT"
ok "--watch brings a rendition that became ready afterwards"
! grep -l Sanitizer "$tmp"/*.out || fail "a sanitizer spoke (leak or error) in a run that failed on purpose"
ok "no sanitizer report in any run"
echo "pull.sh: all passed"

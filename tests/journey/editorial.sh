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
cli_journey journey_editorial
on_fail() { tail -n 15 "$tmp/worker.log" >&2 2>/dev/null || true; }

cli_serve "$tmp/serve" --data "$tmp/data"
cli_worker "$tmp/worker" --slots 2 --data "$tmp/data"
admin=$("$bin" token create --role admin --name dit | tail -n 1)
editor=$("$bin" token create --role editor --name "Avid bay 2" | tail -n 1)
api() { curl -sf -H "Authorization: Bearer $admin" "$url/api/v1/$1"; }

mkdir -p "$tmp/raid" "$tmp/shuttle"
copies=1
if cli_mount "$tmp/raid" 256m && cli_mount "$tmp/shuttle" 256m; then
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
# And a 25 fps camera card with its sound roll (a 300 Hz camera tone, a BWF matched by timecode).
"$top/tests/fixtures/make-sync-clip.sh" "$tmp/cards" >/dev/null
for c in A001 B001 C001 A001R1AB SOUND01; do
	"$bin" offload "$tmp/cards/$c" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
		--production Editorial --day 2026-12-07 --token "$admin" --no-progress >"$tmp/offload.out" 2>&1 ||
		fail "offload of $c: $(cat "$tmp/offload.out")"
	# The production exists from the first card on. The sync fixture is a still chart, which
	# QC rightly calls frozen: no hold for that here.
	[[ $c == A001 ]] || continue
	prod=$(api productions | jq -r '.items[] | select(.name == "Editorial") | .id')
	curl -sf -X PATCH -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
		-d "{\"required_copies\": $copies, \"settings\": {\"qc\": {\"hold\": \"never\"}}}" \
		"$url/api/v1/productions/$prod" >/dev/null || fail "PATCH the production"
done
day=$(api days | jq -r '.items[] | select(.shoot_date == "2026-12-07") | .id')
# Settled: four camera clips proxied, the sound matched, no transcode waiting or running.
settled() {
	[[ $(api "clips?state=proxied&limit=50" | jq '.items | length') == 4 ]] &&
		[[ $(api "days/$day/sound" | jq '.matches | length') == 1 ]] &&
		[[ $(api "jobs?kind=transcode&state=queued" | jq '.items | length') == 0 ]] &&
		[[ $(api "jobs?kind=transcode&state=running" | jq '.items | length') == 0 ]]
}
for _ in $(seq 400); do settled && break; sleep 0.5; done
settled || fail "four proxies: $(api "renditions?limit=50" | jq -c .) $(api "clips" | jq -c '[.items[] | {name, state, state_reason}]')"
ok "four cards at 23.976, 25 and 29.97DF and a sound roll offloaded, registered, probed, synced and proxied"

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
cli_track "$p"
sleep 1
got=$(awk '{s += $1} END {print s + 0}' "$tmp/bytes.log" 2>/dev/null || echo 0)
kill -0 "$p" 2>/dev/null || fail "pull at 1M/s finished $total bytes within a second: $(cat "$tmp/pull.out")"
[[ $got -lt $((total / 2)) ]] || fail "$got of $total bytes in a second at 1M/s"
wait "$p" || fail "pull: $(cat "$tmp/pull.out")"
ok "pull --limit-rate over plain HTTP keeps the pace ($got of $total bytes after 1 s)"

# Each ALE, strictly.
check_ale() { # file rate-key fps rows
	local f=$1 key=$2 fps=$3 rows=$4 sep=':'
	[[ -f $f ]] || fail "$f missing: $(ls "$dest/2026-12-07")"
	tr -d '\r' <"$f" >"$tmp/ale.txt"
	grep -qx "FPS	$fps" "$tmp/ale.txt" || fail "$f: FPS $fps: $(head -n 6 "$tmp/ale.txt")"
	grep -qx "VIDEO_FORMAT	CUSTOM" "$tmp/ale.txt" || fail "$f: VIDEO_FORMAT of a 640x360 proxy"
	grep -qx "AUDIO_FORMAT	48khz" "$tmp/ale.txt" || fail "$f: AUDIO_FORMAT: $(head -n 6 "$tmp/ale.txt")"
	[[ $(sed -n '/^Column$/{n;p}' "$tmp/ale.txt") == \
		$'Name\tTracks\tStart\tEnd\tDuration\tTape\tSource File\tScene\tTake\tCamroll\tSoundroll\tASC_SOP\tASC_SAT\tLUT\tCircled' ]] ||
		fail "$f: columns"
	[[ $key == *DF ]] && sep=';'
	if [[ $sep == ':' ]]; then ! grep -q ';' "$tmp/ale.txt" || fail "$f: ';' under a non-drop rate"; fi
	sed -n '/^Data$/,$p' "$tmp/ale.txt" | tail -n +2 | while IFS=$'\t' read -r name tracks start end dur tape src rest; do
		[[ $start =~ ^[0-9]{2}:[0-9]{2}:[0-9]{2}[$sep][0-9]{2}$ ]] || fail "$f $name: Start $start"
		[[ $end =~ ^[0-9]{2}:[0-9]{2}:[0-9]{2}[$sep][0-9]{2}$ ]] || fail "$f $name: End $end"
		[[ -n $src && -n $(find "$dest/2026-12-07" -name "$src") ]] || fail "$f $name: Source File $src not pulled"
		echo "$name $start $end $dur $tape"
	done >"$tmp/rows.txt"
	[[ $(wc -l <"$tmp/rows.txt") == "$rows" ]] || fail "$f: $rows rows: $(cat "$tmp/rows.txt")"
}
check_ale "$dest/2026-12-07/2026-12-07_23.976.ale" 23.976 23.976 1
grep -qx 'A001C001 10:00:00:00 10:00:03:00 00:00:03:00 A001' "$tmp/rows.txt" || fail "23.976 row: $(cat "$tmp/rows.txt")"
check_ale "$dest/2026-12-07/2026-12-07_25.ale" 25 25 2
grep -qx 'B001C001 11:00:00:00 11:00:03:00 00:00:03:00 B001' "$tmp/rows.txt" || fail "25 row: $(cat "$tmp/rows.txt")"
grep -qx 'A001C003_251125_R1AB 01:00:00:00 01:00:02:00 00:00:02:00 A001R1AB' "$tmp/rows.txt" || fail "25 row of the reel: $(cat "$tmp/rows.txt")"
check_ale "$dest/2026-12-07/2026-12-07_29.97DF.ale" 29.97DF 29.97 1
# 90 frames from 12:00:59;28: ;28 ;29, then from ;02 of the next minute (;00 ;01 are dropped).
grep -qx 'C001C001 12:00:59;28 12:01:03;00 00:00:03;00 C001' "$tmp/rows.txt" || fail "29.97DF row: $(cat "$tmp/rows.txt")"
[[ ! -e $dest/2026-12-07/2026-12-07.ccc ]] || fail "a day without looks got a .ccc"
# The timeline beside the files: every target_url opens from the .otio's folder.
otio=$dest/2026-12-07/2026-12-07.otio
[[ $(jq -r '.OTIO_SCHEMA + " " + .tracks.OTIO_SCHEMA + " " + ([.tracks.children[].kind] | join(","))' "$otio") == \
	"Timeline.1 Stack.1 Video,Audio" ]] || fail "timeline: $(head -c 400 "$otio")"
[[ $(jq '.tracks.children[0].children | length' "$otio") == 4 ]] || fail "four clips on V1"
while read -r u; do
	[[ -f $dest/2026-12-07/$u ]] || fail "target_url $u does not open from the .otio's folder"
done < <(jq -r '.tracks.children[0].children[].media_references.DEFAULT_MEDIA.target_url' "$otio")
[[ $(jq -r '[.tracks.children[1].children[].OTIO_SCHEMA] | join(",")' "$otio") == "Gap.1,Clip.2,Gap.1,Gap.1" ]] ||
	fail "A1: the synced clip's sound, gaps elsewhere: $(jq -c '[.tracks.children[1].children[].OTIO_SCHEMA]' "$otio")"
ok "pull wrote one ALE per rate (FPS, AUDIO_FORMAT, VIDEO_FORMAT of the proxy, columns, timecodes of its rate, Source File beside it), the day's timeline with relative target_urls that open; no empty .ccc"

# Every proxy profile of the synced clip, read with ffprobe and mediainfo: the reel where each
# container keeps one for NLEs (QuickTime: the tmcd track's name; MXF: the tape source
# package), the start timecode, the rate, and the audio layout each profile promises.
settings='{"settings": {"proxy_profiles": {
	"h264_mov": {"base": "h264_1080", "ext": "mov", "naming": "{day}/{card}/{clip}.{ext}", "audio_layout": "camera"},
	"prores_cam": {"base": "prores_proxy", "audio_layout": "camera+production"}},
	"proxy_active": ["h264_1080", "h264_720", "dnxhr_lb", "dnxhd_36", "prores_proxy", "prores_lt", "h264_mov", "prores_cam"]}}'
curl -sf -X PATCH -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
	-d "$settings" "$url/api/v1/productions/$prod" >/dev/null || fail "PATCH the profiles"
clip=$(api "clips?q=A001C003&limit=5" | jq -r '.items[0].id')
curl -sf -X POST -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
	-d '{"profiles": ["h264_720", "dnxhr_lb", "dnxhd_36", "prores_proxy", "prores_lt", "h264_mov", "prores_cam"]}' \
	"$url/api/v1/clips/$clip/transcode" >/dev/null || fail "transcode every profile"
all_done() { [[ $(api "renditions?clip_id=$clip&limit=50" | jq '[.items[] | select(.state == "done")] | length') == 8 ]]; }
for _ in $(seq 600); do all_done && break; sleep 0.5; done
all_done || fail "eight proxies of $clip: $(api "renditions?clip_id=$clip&limit=50" | jq -c '[.items[] | {profile, state, error}]')"
orig=$tmp/cards/A001R1AB/A001C003_251125_R1AB.mov
cam_audio=$(ffprobe -v error -select_streams a -show_entries stream=channels,channel_layout -of csv=p=0 "$orig")
# Loudest level of audio track $2 in the first half second, before the production sound's
# burst (at 1 s): the camera's tone is about -44 dB there, the production sound silent (-91 dB).
loud() { # file track -> "camera" or "production"
	ffmpeg -nostdin -v info -i "$1" -map "0:a:$2" -t 0.5 -af volumedetect -f null - 2>&1 |
		sed -n 's/.*max_volume: \(.*\) dB/\1/p' | awk '{ print ($1 != "-inf" && $1 > -60) ? "camera" : "production" }'
}
probe() { ffprobe -v error -select_streams "$2" -show_entries "$3" -of default=nw=1:nk=1 "$1" | paste -sd' '; }
while read -r prof rel; do
	f=$tmp/data/renditions/$rel
	[[ -f $f ]] || f=$(find "$tmp" -path "*renditions/$rel" | head -n 1)
	[[ -f $f ]] || fail "$prof: $rel not found"
	mi=$(mediainfo "$f")
	rate=$(probe "$f" v:0 stream=r_frame_rate)
	[[ $rate == 25/1 ]] || fail "$prof: rate $rate"
	grep -q 'Time code of first frame *: 01:00:00:00' <<<"$mi" || fail "$prof: mediainfo timecode: $mi"
	case $rel in
	*.mov)
		[[ $(probe "$f" d:0 stream_tags=reel_name) == A001R1AB ]] || fail "$prof: tmcd reel_name"
		[[ $(probe "$f" d:0 stream_tags=timecode) == 01:00:00:00 ]] || fail "$prof: tmcd timecode"
		grep -A8 'QuickTime TC' <<<"$mi" | grep -q 'Title *: A001R1AB' || fail "$prof: mediainfo tmcd name: $mi" ;;
	*.mxf)
		[[ $(probe "$f" v:0 stream_tags=reel_name) == A001R1AB ]] || fail "$prof: MXF tape package"
		grep -q 'Time code settings *: Source Package' <<<"$mi" || fail "$prof: mediainfo source package: $mi" ;;
	*.mp4)
		# MP4 has no tmcd name (ffmpeg writes it only in QuickTime): the reel is a tag only.
		[[ $(probe "$f" v:0 stream_tags=timecode) == 01:00:00:00 ]] || fail "$prof: timecode" ;;
	esac
	streams=$(ffprobe -v error -select_streams a -show_entries stream=channels,channel_layout -of csv=p=0 "$f")
	case $prof in
	h264_mov) [[ $streams == "$cam_audio" && $(loud "$f" 0) == camera ]] ||
		fail "$prof: audio $streams ($(loud "$f" 0)), the camera file has $cam_audio"
		[[ $rel == */A001C003_251125_R1AB.mov ]] || fail "$prof: named as the camera file: $rel" ;;
	# (PCM in QuickTime carries no channel layout atom: the channel count is what compares.)
	prores_cam) [[ $(wc -l <<<"$streams") == 2 && $(head -n 1 <<<"$streams" | cut -d, -f1) == "${cam_audio%%,*}" &&
		$(loud "$f" 0) == camera && $(loud "$f" 1) == production ]] ||
		fail "$prof: the camera's track then production sound: $(paste -sd' ' <<<"$streams")" ;;
	prores_proxy|prores_lt|dnxhr_lb|dnxhd_36) [[ $(wc -l <<<"$streams") == 2 && $(loud "$f" 0) == production &&
		$(loud "$f" 1) == camera ]] ||
		fail "$prof: production sound and the camera's scratch track: $(paste -sd' ' <<<"$streams")" ;;
	*) [[ $(wc -l <<<"$streams") == 1 && $(loud "$f" 0) == production ]] || fail "$prof: production sound only: $(paste -sd' ' <<<"$streams")" ;;
	esac
done < <(api "renditions?clip_id=$clip&limit=50" | jq -r '.items[] | select(.state == "done") | "\(.profile) \(.rel_path)"')
ok "all eight profiles: reel in the tmcd name (.mov) or the MXF tape package, timecode and rate by ffprobe and mediainfo; h264_mov named as the camera file with its audio layout"

# The DIT grades two clips: A001C001 by its scene's default look ("warm_day", scene 12A),
# B001C001 by a look of its own. Their proxies are made again; a second `setpost pull` (from its
# saved position) replaces each local proxy by its newer version of the same name, and writes
# the looks for post: the ALE's LUT column and the .ccc's Descriptions name each clip's .cube,
# the cubes are beside them, the same bytes as GET /clips/{id}/look.cube, and ociochecklut
# reads them. A look removed takes its cube away at the next pull.
patch() { # clip-name json -> clip id
	local c; c=$(api "clips?q=$1&limit=5" | jq -r '.items[0].id')
	curl -sf -X PATCH -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
		-d "$2" "$url/api/v1/clips/$c" >/dev/null || fail "PATCH clip $1 with $2"
	echo "$c"
}
# Done with a version above v (the newest done one in $newest), and no proxy still to make.
remade() { # clip-id v
	newest=$(api "renditions?clip_id=$1&limit=50" | jq -c --argjson v "$2" '[.items[] | select(.state == "done" and .version > $v)] | max_by(.version)')
	[[ $newest != null ]] && [[ $(api "jobs?kind=transcode&state=queued" | jq '.items | length') == 0 ]] &&
		[[ $(api "jobs?kind=transcode&state=running" | jq '.items | length') == 0 ]]
}
# An assistant's pull that follows the feed (no full listing: --rescan a day).
SETPOST_TOKEN=$editor "$bin" pull "$url" "$dest" --watch --rescan 86400 >"$tmp/watch.out" 2>&1 &
watcher=$!
cli_track "$watcher"
for _ in $(seq 100); do grep -q "^pulled" "$tmp/watch.out" && break; sleep 0.1; done
grep -q "^pulled" "$tmp/watch.out" || fail "pull --watch did not make its first pass: $(cat "$tmp/watch.out")"
local_a=$(find "$dest/2026-12-07" -name "A001C001_h264_1080.*" | head -n 1)
[[ -f $local_a ]] || fail "the first pull did not write A001C001's proxy: $(find "$dest" -name "A001C001*")"
old_x=$(xxhsum -H1 "$local_a" | cut -d' ' -f1)
ca=$(patch A001C001 '{"scene":"12A"}')
curl -sf -X PUT -H "Authorization: Bearer $admin" -H "Content-Type: application/json" "$url/api/v1/scene-looks/12A?production_id=$prod" \
	-d '{"id":"warm_day","slope":[1.2,1.0,0.85],"offset":[0.02,0,-0.01],"power":[0.9,1,1.1],"sat":0.85}' >/dev/null || fail "PUT the scene look"
cb=$(patch B001C001 '{"look":{"slope":[1,1,1.1],"offset":[0,0,0],"power":[1,1,1],"sat":0.9}}')
for _ in $(seq 300); do remade "$ca" 1 && remade "$cb" 1 && break; sleep 0.5; done
remade "$cb" 1 || fail "B001C001's proxy was not made again: $(api "renditions?clip_id=$cb" | jq -c '[.items[] | {id, version, state}]')"
remade "$ca" 1 || fail "A001C001's proxy was not made again: $(api "renditions?clip_id=$ca" | jq -c '[.items[] | {id, version, state}]')"
new_a=$newest
[[ $(jq -r .xxh64 <<<"$new_a") != "$old_x" ]] || fail "A001C001's new proxy has the old bytes"
replaced() { [[ $(xxhsum -H1 "$local_a" | cut -d' ' -f1) == "$(jq -r .xxh64 <<<"$new_a")" ]]; }
for _ in $(seq 300); do replaced && break; sleep 0.2; done
replaced || fail "pull --watch did not replace A001C001's proxy by its new version: $(cat "$tmp/watch.out")"
grep -q "replaces rendition" "$tmp/watch.out" || fail "pull did not say it replaced the proxy: $(cat "$tmp/watch.out")"
! grep -q "same name" "$tmp/watch.out" || fail "pull skipped the new version: $(cat "$tmp/watch.out")"
kill "$watcher"
wait "$watcher" || true
# The looks beside the files, by a pull of its own after every proxy is made again.
SETPOST_TOKEN=$editor "$bin" pull "$url" "$dest" >"$tmp/pull2.out" 2>&1 || fail "the second pull: $(cat "$tmp/pull2.out")"
cube_a=Editorial_2026-12-07_12A_warm_day.cube
cube_b=Editorial_2026-12-07_noscene_clip-B001C001.cube
lut_col() { # ale clip -> the row's LUT cell
	tr -d '\r' <"$1" | awk -F'\t' -v c="$2" '/^Column$/ { getline; for (i = 1; i <= NF; i++) if ($i == "LUT") k = i }
		/^Data$/ { d = 1; next } d && $1 == c { print $k }'
}
[[ $(lut_col "$dest/2026-12-07/2026-12-07_23.976.ale" A001C001) == "$cube_a" ]] || fail "23.976 ALE LUT of A001C001: $(lut_col "$dest/2026-12-07/2026-12-07_23.976.ale" A001C001)"
[[ $(lut_col "$dest/2026-12-07/2026-12-07_25.ale" B001C001) == "$cube_b" ]] || fail "25 ALE LUT of B001C001"
[[ -z $(lut_col "$dest/2026-12-07/2026-12-07_29.97DF.ale" C001C001) ]] || fail "C001C001 has no look, yet a LUT"
ccc=$dest/2026-12-07/2026-12-07.ccc
[[ $(grep -c "<ColorCorrection " "$ccc") == 2 ]] || fail ".ccc: $(cat "$ccc")"
grep -A1 'ColorCorrection id="A001C001"' "$ccc" | grep -q "<Description>LUT for post: $cube_a</Description>" ||
	fail ".ccc Description of A001C001: $(cat "$ccc")"
grep -A1 'ColorCorrection id="B001C001"' "$ccc" | grep -q "$cube_b</Description>" || fail ".ccc Description of B001C001: $(cat "$ccc")"
[[ $(cd "$dest/2026-12-07" && ls ./*.cube | sort | paste -sd' ') == "./$cube_a ./$cube_b" ]] ||
	fail "cubes beside the ALEs: $(ls "$dest/2026-12-07")"
while read -r cid cube; do
	curl -sf -H "Authorization: Bearer $editor" "$url/api/v1/clips/$cid/look.cube" -o "$tmp/one.cube" || fail "GET look.cube of clip $cid"
	cmp -s "$tmp/one.cube" "$dest/2026-12-07/$cube" || fail "$cube is not what GET /clips/$cid/look.cube gives"
	ociochecklut "$dest/2026-12-07/$cube" 0.18 0.18 0.18 >/dev/null 2>"$tmp/ocio.err" || fail "ociochecklut $cube: $(cat "$tmp/ocio.err")"
done <<<"$ca $cube_a
$cb $cube_b"
idx=$(curl -sf -H "Authorization: Bearer $editor" "$url/api/v1/days/$day/cubes")
jq -e --arg a "$cube_a" '.files | length == 2 and (.[] | select(.name == $a) | .clips == ["A001C001"])' <<<"$idx" >/dev/null || fail "cubes index: $idx"
vb=$(jq -r .version <<<"$(remade "$cb" 1; echo "$newest")")
patch B001C001 '{"look":null}' >/dev/null
for _ in $(seq 300); do remade "$cb" "$vb" && break; sleep 0.5; done
remade "$cb" "$vb" || fail "B001C001 was not made again without its look: $(api "renditions?clip_id=$cb" | jq -c '[.items[] | {id, version, state}]')"
SETPOST_TOKEN=$editor "$bin" pull "$url" "$dest" >"$tmp/pull3.out" 2>&1 || fail "the third pull: $(cat "$tmp/pull3.out")"
[[ ! -e $dest/2026-12-07/$cube_b && -e $dest/2026-12-07/$cube_a ]] || fail "after B001C001's look was removed: $(ls "$dest/2026-12-07")"
[[ $(grep -c "<ColorCorrection " "$ccc") == 1 ]] || fail ".ccc after the removal: $(cat "$ccc")"
ok "looks changed: pull --watch replaced the proxy by its new version of the same name as soon as it was made; the ALE's LUT column and the .ccc's Descriptions name $cube_a and $cube_b, both beside them as GET look.cube gives them, read by ociochecklut; a removed look's cube gone at the next pull"

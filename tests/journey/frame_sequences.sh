#!/usr/bin/env bash
# Image-sequence cards (issue 16: DPX, OpenEXR, CinemaDNG), through the CLI and the HTTP API
# only, against a real setpost serve and worker with real ffmpeg on two tmpfs volumes:
#   a DPX clip is one clip of 48 frames (not 48 clips), whose rate (25) and start timecode
#   (01:00:00:00) come from its files' headers, and its proxy holds all 48 frames at 25 fps;
#   an OpenEXR plate's rate comes from its attributes; a DPX clip whose headers give no rate is
#   read at the assumed 24 fps, and says so;
#   a DPX clip with a frame missing is media_error naming the frame;
#   CinemaDNG frames make one clip that needs a raw developer, not an error.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_need_root "frame sequences journey"
cli_journey journey_seq
bash "$top/tests/fixtures/make-image-sequences.sh" "$tmp/cards" >/dev/null
cli_serve "$tmp/serve" --data "$tmp/data"
export SETPOST_TOKEN=$("$bin" token create --role admin --name dit | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url$1"; }
cli_mount "$tmp/raid" 256m || fail "mount raid"
cli_mount "$tmp/shuttle" 256m || fail "mount shuttle"

for card in SCAN01 BMC01; do
	out=$("$bin" offload "$tmp/cards/$card" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
		--production "Feature" --day 2026-12-07 --no-progress 2>&1)
	grep -q "safe to format: YES" <<<"$out" || fail "offload $card: $out"
done
n=$(api "/api/v1/clips?limit=500" | jq '.items | length')
[[ $n == 5 ]] || fail "5 clips (A001C003, A001C004, B001C001, plate, the CinemaDNG clip), not one per frame: $(api "/api/v1/clips?limit=500" | jq -c '[.items[].name]')"
ok "two cards of 97 frame files register as 5 clips, one per numbered sequence"

cli_worker "$tmp/worker" --slots 2 --data "$tmp/data"
cli_idle
clip() { api "/api/v1/clips?q=$1" | jq '.items[0]'; }
detail() { api "/api/v1/clips/$(clip "$1" | jq -r .id)"; }

# --- DPX: rate and timecode from the headers, every frame in the proxy -----------------------
j=$(detail A001C003)
m=$(api "/api/v1/clips/$(jq -r .id <<<"$j")/media" | jq .probe)
[[ $(jq -r '.codec' <<<"$m") == dpx ]] || fail "DPX media: $m"
[[ $(jq -r '"\(.fps_num)/\(.fps_den)"' <<<"$m") == 25/1 ]] || fail "rate from the film header: $m"
[[ $(jq -r .duration_frames <<<"$m") == 48 ]] || fail "48 frames: $m"
[[ $(jq -r .start_tc <<<"$m") == 01:00:00:00 ]] || fail "timecode from the television header: $m"
[[ $(jq -r .vendor.frame_rate_source <<<"$m") == "the files' headers" ]] || fail "rate source: $m"
[[ $(jq -r .vendor.frame_sequence <<<"$m") == "A001C003.%07d.dpx" ]] || fail "the name pattern, no host path: $m"
rend=$(jq -r '[.renditions[] | select(.state == "done")][0].id' <<<"$j")
[[ $rend =~ ^[0-9]+$ ]] || fail "a proxy of the DPX clip: $(jq -c '{state,state_reason,renditions}' <<<"$j") $(tail -n 5 "$tmp/worker.log")"
curl -s -o "$tmp/proxy" -H "Authorization: Bearer $SETPOST_TOKEN" "$url/api/v1/renditions/$rend/file"
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,r_frame_rate -of csv=p=0 "$tmp/proxy")
[[ $frames == "25/1,48" ]] || fail "the proxy: $frames (want 25/1,48)"
tc=$(ffprobe -v error -show_entries format_tags=timecode:stream_tags=timecode -of default=nw=1:nk=1 "$tmp/proxy" | sed -n 1p)
[[ $tc == 01:00:00:00 ]] || fail "the proxy's timecode: $tc"
ok "a DPX clip: 25 fps and 01:00:00:00 from its headers; its proxy holds all 48 frames at 25 fps from 01:00:00:00"

# --- OpenEXR: its rate from its attributes; DPX without a rate: assumed, and said -----------
j=$(detail plate)
m=$(api "/api/v1/clips/$(jq -r .id <<<"$j")/media" | jq .probe)
[[ $(jq -r '.codec' <<<"$m") == exr && $(jq -r .duration_frames <<<"$m") == 24 ]] || fail "EXR media: $m"
[[ $(jq -r '"\(.fps_num)/\(.fps_den)"' <<<"$m") == 24000/1001 ]] || fail "EXR framesPerSecond: $m"
[[ $(jq -r '[.renditions[] | select(.state == "done")] | length' <<<"$j") -ge 1 ]] || fail "EXR proxy: $(jq -c '{state,state_reason,renditions}' <<<"$j")"
j=$(detail B001C001)
m=$(api "/api/v1/clips/$(jq -r .id <<<"$j")/media" | jq .probe)
[[ $(jq -r '"\(.fps_num)/\(.fps_den)"' <<<"$m") == 24/1 && $(jq -r .duration_frames <<<"$m") == 12 ]] || fail "assumed rate: $m"
jq -r .vendor.frame_rate_source <<<"$m" | grep -q "^assumed" || fail "the assumption is said: $m"
ok "an OpenEXR plate at 23.976 fps from its attributes, proxied; a DPX clip whose headers give no rate: 24 fps assumed, and said"

# --- a frame missing --------------------------------------------------------------------------
g=$(clip A001C004)
[[ $(jq -r .state <<<"$g") == media_error ]] || fail "a gap: $g"
jq -r .state_reason <<<"$g" | grep -qF "frames missing from the sequence: 1005 (1)" || fail "reason: $g"
ok "a DPX clip with frame 1005 missing is media_error naming the frame"

# --- CinemaDNG --------------------------------------------------------------------------------
d=$(clip BMC01_1_2012-08-08_1631_C0002)
[[ $(jq -r .state <<<"$d") == secured && $(jq -r .media_status <<<"$d") == vendor_tool ]] || fail "CinemaDNG: $d"
jq -r .vendor_tool <<<"$d" | grep -q "CinemaDNG: needs a raw developer" || fail "CinemaDNG: $d"
m=$(api "/api/v1/clips/$(jq -r .id <<<"$d")/media" | jq .probe)
[[ $(jq -r .duration_frames <<<"$m") == 3 && $(jq -r .first_frame_number <<<"$m") == 0 ]] || fail "CinemaDNG frames: $m"
ok "three CinemaDNG frames: one clip of 3 frames that needs a raw developer, not an error"
echo "frame_sequences.sh: all passed"

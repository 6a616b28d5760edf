#!/usr/bin/env bash
# A camera's own proxy as the dailies source (issue 16), through the CLI and the HTTP API only,
# against a real setpost serve and worker with real ffmpeg on two tmpfs volumes. A RED card
# whose .R3D files ffmpeg cannot decode (random bytes: the SDK's business), one clip with the
# camera's ProRes proxy in its .RDC folder, one without:
#   registration records the .mov as the clip's camera proxy, not a clip of its own;
#   the clip stays "needs the maker's SDK" for its original, and gets thumbnails and a proxy
#   made from the camera proxy, each saying so (renditions[].source, the events' "source");
#   the proxy is a real movie of the camera proxy's 48 frames (ffprobe);
#   the clip's recording time is the camera proxy's creation_time;
#   the clip without a camera proxy gets none of it.
# And a Sony card whose XAVC-like MXF ffmpeg decodes (no creation_time in it) with a Sub/ proxy:
#   the proxy is recorded but never used (the original makes the dailies, source original);
#   the clip's recording time is its M01.XML's CreationDate.
# And a sound roll (tests/fixtures/make-cards.sh): a take's recording time is its BWF origination.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_need_root "camera proxy journey"
cli_need_tools "camera proxy journey" ffmpeg ffprobe jq curl
cli_journey journey_cproxy

# --- the card (CARDS.md: RED .RDM magazine, .RDC clip folders) --------------------------------
card=$tmp/cards/B002
mag=$card/B002_0101AB.RDM
c1=$mag/B002_C001_0101XY.RDC
c2=$mag/B002_C002_0101QZ.RDC
mkdir -p "$c1" "$c2"
head -c 256 /dev/urandom >"$card/digital_magazine.bin"
head -c 8192 /dev/urandom >"$c1/B002_C001_0101XY_001.R3D"
head -c 4096 /dev/urandom >"$c1/B002_C001_0101XY_002.R3D"
printf '<?xml version="1.0"?><RMD/>\n' >"$c1/B002_C001_0101XY.RMD"
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=320x180:r=24000/1001:d=2" \
	-f lavfi -i "sine=f=440:r=48000:d=2" -c:v prores_ks -profile:v 0 -c:a pcm_s16le \
	-timecode 14:05:38:00 -metadata creation_time=2026-12-07T14:05:38.000000Z -shortest \
	"$c1/B002_C001_0101XY_001.mov"
head -c 8192 /dev/urandom >"$c2/B002_C002_0101QZ_001.R3D"
sony=$tmp/cards/C005/XDROOT
mkdir -p "$sony/Clip" "$sony/Sub"
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "smptebars=s=160x90:r=25:d=1" \
	-c:v libx264 -preset ultrafast -pix_fmt yuv420p "$sony/Clip/C005C001_261207AB.MXF"
cat >"$sony/Clip/C005C001_261207ABM01.XML" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<NonRealTimeMeta xmlns="urn:schemas-professionalDisc:nonRealTimeMeta:ver.2.00">
<Duration value="25"/><LtcChangeTable tcFps="25"/><CreationDate value="2026-12-07T09:41:02+01:00"/>
</NonRealTimeMeta>
XML
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=128x72:r=25:d=1" \
	-c:v libx264 -preset ultrafast -pix_fmt yuv420p "$sony/Sub/C005C001_261207ABS03.MP4"
if ffprobe -v error "$c1/B002_C001_0101XY_001.R3D" >/dev/null 2>&1; then
	fail "the fixture's R3D must be something ffmpeg cannot decode"
fi

cli_serve "$tmp/serve" --data "$tmp/data"
export SETPOST_TOKEN=$("$bin" token create --role admin --name dit | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url$1"; }
cli_mount "$tmp/raid" 128m || fail "mount raid"
cli_mount "$tmp/shuttle" 128m || fail "mount shuttle"
cli_worker "$tmp/worker" --slots 2 --data "$tmp/data"

out=$("$bin" offload "$card" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
	--production "Feature" --day 2026-12-07 --no-progress 2>&1)
grep -q "safe to format: YES" <<<"$out" || fail "offload: $out"
cli_idle
names=$(api "/api/v1/clips?limit=50" | jq -c '[.items[].name] | sort')
[[ $names == '["B002_C001_0101XY","B002_C002_0101QZ"]' ]] || fail "two clips, the proxy none of its own: $names"
ok "a RED card with a camera proxy registers as two clips; the proxy .mov is not a clip"

clip() { api "/api/v1/clips?q=$1" | jq '.items[0]'; }
detail() { api "/api/v1/clips/$(clip "$1" | jq -r .id)"; }

# --- the clip with a camera proxy ------------------------------------------------------------
j=$(detail B002_C001_0101XY)
[[ $(jq -r .media_status <<<"$j") == vendor_tool ]] || fail "the original still needs the maker's SDK: $(jq -c '{state,media_status,vendor_tool}' <<<"$j")"
[[ $(jq -r .camera_proxy.name <<<"$j") == B002_C001_0101XY_001.mov ]] || fail "camera proxy recorded: $(jq -c .camera_proxy <<<"$j")"
[[ $(jq -r .camera_proxy.path <<<"$j") == B002_0101AB.RDM/B002_C001_0101XY.RDC/B002_C001_0101XY_001.mov ]] || fail "its path: $(jq -c .camera_proxy <<<"$j")"
[[ $(jq -r '.files[] | select(.path | endswith(".mov")) | .role' <<<"$j") == sidecar ]] || fail "the proxy is a sidecar of the clip: $(jq -c .files <<<"$j")"
ok "the clip records its camera proxy (GET /clips/{id}: camera_proxy) and stays \"needs the maker's SDK\" for its original"

m=$(api "/api/v1/clips/$(jq -r .id <<<"$j")/media" | jq .probe)
[[ $(jq -r .status <<<"$m") == vendor_tool && $(jq -r .vendor.camera_proxy.codec <<<"$m") == prores ]] || fail "the probe names the camera proxy: $m"
[[ $(jq -r .vendor.camera_proxy.dailies_source <<<"$m") == true ]] || fail "the probe says it is the dailies source: $m"
ok "the probe describes the original as camera raw and the camera proxy as the dailies source"

done_r=$(jq '[.renditions[] | select(.state == "done")]' <<<"$j")
[[ $(jq length <<<"$done_r") -ge 1 ]] || fail "a rendition of a clip whose original needs the SDK: $(jq -c '{state,state_reason,renditions}' <<<"$j") $(tail -n 5 "$tmp/worker.log")"
[[ $(jq -r '[.[].source] | unique | join(",")' <<<"$done_r") == camera_proxy ]] || fail "each says it came from the camera proxy: $done_r"
[[ $(jq -r .camera_proxy.dailies_source <<<"$j") == true ]] || fail "camera_proxy.dailies_source: $(jq -c .camera_proxy <<<"$j")"
rend=$(jq -r '.[0].id' <<<"$done_r")
curl -sf -o "$tmp/proxy" -H "Authorization: Bearer $SETPOST_TOKEN" "$url/api/v1/renditions/$rend/file" || fail "download rendition $rend"
got=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=codec_type,nb_read_frames -of csv=p=0 "$tmp/proxy")
[[ $got == video,48 ]] || fail "the rendition holds the camera proxy's 48 frames: $got"
ev=$(api "/api/v1/events?kind=rendition.ready&limit=50" | jq -c "[.items[]? // .[]? | select(.subject_id == $rend)][0].data")
[[ $(jq -r .source <<<"$ev") == camera_proxy && $(jq -r .camera_proxy <<<"$ev") == *B002_C001_0101XY_001.mov ]] || fail "rendition.ready names its source: $ev"
ok "its rendition is made from the camera proxy (48 frames, ffprobe) and says so: source camera_proxy in the clip and in rendition.ready"

[[ $(jq -r .poster <<<"$j") == /api/v1/clips/*/thumbnails/0.jpg ]] || fail "thumbnails from the camera proxy: $(jq -c .poster <<<"$j")"
[[ $(jq -r '[.events[] | select(.kind == "clip.thumbnails")][0].data.source' <<<"$j") == camera_proxy ]] || fail "clip.thumbnails names its source: $(jq -c '[.events[] | select(.kind == "clip.thumbnails")]' <<<"$j")"
ok "its thumbnails are made from the camera proxy, and clip.thumbnails says so"

[[ $(jq -r .recorded_at <<<"$j") == 2026-12-07T14:05:38 ]] || fail "recorded_at from the proxy's creation_time: $(jq -c '{recorded_at,recorded_at_source}' <<<"$j")"
[[ $(jq -r .recorded_at_source <<<"$j") == "camera proxy's creation_time" ]] || fail "recorded_at_source: $(jq -c '{recorded_at,recorded_at_source}' <<<"$j")"
ok "its recording time is the camera proxy's creation_time, and says so"

# --- proxies asked for again: made from the camera proxy -------------------------------------
post() { curl -s -o "$tmp/post.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $SETPOST_TOKEN" -H 'Content-Type: application/json' -d "$2" "$url$1"; }
st=$(post "/api/v1/clips/$(jq -r .id <<<"$j")/transcode" '{}')
[[ $st == 202 || $st == 201 || $st == 200 ]] || fail "POST transcode of the clip with a camera proxy: $st $(cat "$tmp/post.json")"
cli_idle
v=$(detail B002_C001_0101XY | jq -c '[.renditions[] | select(.state == "done") | {version, source}]')
[[ $(jq -r 'map(.version) | max' <<<"$v") -ge 2 && $(jq -r 'map(.source) | unique | join(",")' <<<"$v") == camera_proxy ]] || fail "made again, from the camera proxy: $v"
k=$(detail B002_C002_0101QZ)
st=$(post "/api/v1/clips/$(jq -r .id <<<"$k")/transcode" '{}')
[[ $st == 409 ]] && grep -q "no camera proxy" "$tmp/post.json" || fail "POST transcode without a camera proxy: $st $(cat "$tmp/post.json")"
ok "asked for again, the proxies are made from the camera proxy; a raw clip without one is refused (409) naming why"

# --- the clip without one ---------------------------------------------------------------------
k=$(detail B002_C002_0101QZ)
[[ $(jq -r .media_status <<<"$k") == vendor_tool && $(jq -r .camera_proxy <<<"$k") == null ]] || fail "no camera proxy: $(jq -c '{media_status,camera_proxy}' <<<"$k")"
[[ $(jq '.renditions | length' <<<"$k") == 0 && $(jq -r .poster <<<"$k") == null ]] || fail "nothing made without one: $(jq -c '{renditions,poster}' <<<"$k")"
[[ $(jq -r .recorded_at <<<"$k") == null ]] || fail "no recording time without a file that carries one (never the mtime): $(jq -c .recorded_at <<<"$k")"
ok "a clip without a camera proxy gets no renditions, no thumbnails and no recording time"

# --- a Sony clip ffmpeg decodes: its own proxy recorded, never used -------------------------
out=$("$bin" offload "$tmp/cards/C005" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
	--production "Feature" --day 2026-12-07 --no-progress 2>&1)
grep -q "safe to format: YES" <<<"$out" || fail "offload C005: $out"
cli_idle
s=$(detail C005C001_261207AB)
[[ $(jq -r .camera_proxy.name <<<"$s") == C005C001_261207ABS03.MP4 && $(jq -r .camera_proxy.dailies_source <<<"$s") == false ]] || fail "the Sony Sub/ proxy recorded, not used: $(jq -c .camera_proxy <<<"$s")"
[[ $(jq -r '[.renditions[] | select(.state == "done") | .source] | unique | join(",")' <<<"$s") == original ]] || fail "its dailies come from its original: $(jq -c '{state,renditions}' <<<"$s")"
ok "a Sony clip ffmpeg decodes keeps its Sub/ proxy as its camera proxy, and makes its dailies from its original"
[[ $(jq -r .recorded_at <<<"$s") == 2026-12-07T09:41:02 && $(jq -r .recorded_at_source <<<"$s") == "Sony XML CreationDate" ]] || fail "recorded_at from the M01.XML: $(jq -c '{recorded_at,recorded_at_source}' <<<"$s")"
ok "its recording time is its M01.XML's CreationDate (the camera's clock, its zone dropped)"

# --- a sound roll: each take's recording time from its BWF origination ----------------------
bash "$top/tests/fixtures/make-cards.sh" "$tmp/fixture" >/dev/null
out=$("$bin" offload "$tmp/fixture/sound/SR001" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
	--production "Feature" --day 2026-12-07 --no-progress 2>&1)
grep -q "safe to format: YES" <<<"$out" || fail "offload SR001: $out"
t=$(detail S01T01)
[[ $(jq -r .recorded_at <<<"$t") == 2025-01-01T12:00:00 && $(jq -r .recorded_at_source <<<"$t") == registration ]] || fail "a take's recorded_at from its bext origination: $(jq -c '{recorded_at,recorded_at_source}' <<<"$t")"
ok "a sound take's recording time is its BWF OriginationDate and OriginationTime"
echo "camera_proxy.sh: all passed"

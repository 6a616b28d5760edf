#!/usr/bin/env bash
# Looks that follow the DIT, cart to post house, through the CLI and the HTTP API only: a real
# card offloaded to two tmpfs volumes and registered with the cart, its proxy made by ffmpeg
# and delivered by a delivery rule to a second `setpost serve` (the post house). Then the DIT
# changes the clip's look (PATCH /api/v1/clips/{id} {"look": CDL}): the proxy is marked stale
# (rendition.stale), made again with the new look as a new rendition (version 2) while the old
# one stays done until the new one is ready, then superseded (its file kept aside); the new
# proxy leaves by the same rule, and at the post house the new version takes the name and the
# old arrival is superseded by it (its file kept aside). A production with look_rerender false
# gets its proxies marked stale and not made again.
#   tests/journey/look_remake.sh build/setpost
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/sp-lr.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	umount "$tmp/raid" "$tmp/shuttle" 2>/dev/null || true
	rm -rf "$tmp"
	for d in cart post; do psql -q "$SETPOST_TEST_PG" -c "DROP DATABASE IF EXISTS lr_${d}_$$" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
on_fail() { tail -n 15 "$tmp/worker.log" >&2 2>/dev/null || true; }

if [ "$(id -u)" -ne 0 ]; then
	skip "a look change re-makes and re-sends the proxy" "need root to mount two tmpfs volumes"
	exit 0
fi
for tool in ffmpeg xxhsum age jq; do
	command -v "$tool" >/dev/null || { skip "a look change re-makes and re-sends the proxy" "$tool is missing"; exit 0; }
done

url=""
serve() { # name extra-args...; sets url
	local name=$1; shift
	psql -q "$SETPOST_TEST_PG" -c "CREATE DATABASE lr_${name}_$$" >/dev/null
	SETPOST_DATABASE_URL="${SETPOST_TEST_PG/dbname=postgres/dbname=lr_${name}_$$}" \
		"$bin" serve --listen 127.0.0.1:0 --data "$tmp/$name" "$@" >"$tmp/$name.out" 2>"$tmp/$name.log" &
	pids+=($!)
	for _ in $(seq 100); do grep -qs "listening on" "$tmp/$name.out" && break; sleep 0.1; done
	url=$(sed -n 's/.*listening on //p' "$tmp/$name.out")
	[ -n "$url" ] || fail "$name did not start: $(cat "$tmp/$name.log")"
}
CART_DB="${SETPOST_TEST_PG/dbname=postgres/dbname=lr_cart_$$}"
POST_DB="${SETPOST_TEST_PG/dbname=postgres/dbname=lr_post_$$}"

"$bin" keygen -o "$tmp/post.key" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$tmp/post.key")
serve post --age-identity "$tmp/post.key"
post=$url
post_token=$(SETPOST_DATABASE_URL=$POST_DB "$bin" token create --role post --name cart | tail -n 1)
serve cart --outbound-allow 127.0.0.1/32
cart=$url
export SETPOST_DATABASE_URL=$CART_DB
export SETPOST_TOKEN=$("$bin" token create --role admin --name dit | tail -n 1)
"$bin" worker --slots 2 --data "$tmp/cart" --outbound-allow 127.0.0.1/32 >"$tmp/worker.out" 2>"$tmp/worker.log" &
pids+=($!)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" "$cart$@"; }
papi() { curl -s -H "Authorization: Bearer $post_token" "$post$@"; }

# The production, the post house as its target and "proxies go to Post", before the card.
bash "$top/tests/fixtures/make-qc-clips.sh" "$tmp/fx" >/dev/null 2>&1
mkdir -p "$tmp/cards/A001R1AB" "$tmp/raid" "$tmp/shuttle"
cp "$tmp/fx/A001R1AB/A001C001_250101_R1AB.mov" "$tmp/cards/A001R1AB/"
mount -t tmpfs -o size=64m tmpfs "$tmp/raid"
mount -t tmpfs -o size=64m tmpfs "$tmp/shuttle"
"$bin" offload "$tmp/cards/A001R1AB" --to "$tmp/raid" --to "$tmp/shuttle" --register "$cart" \
	--production Feature --day 2026-12-07 --no-progress >"$tmp/offload.out" 2>&1 ||
	fail "offload: $(cat "$tmp/offload.out")"
target=$(api /api/v1/targets -d "{\"production_id\":1,\"name\":\"Post\",\"url\":\"$post/api/v1/uploads/\",
	\"recipient\":\"$recipient\",\"headers\":{\"Authorization\":\"Bearer $post_token\"}}" | jq -r .id)
[[ $target =~ ^[0-9]+$ ]] || fail "target: $target"
# The rule from the cart's terminal: `setpost rules` (through the cart's API).
export SETPOST_URL=$cart
out=$("$bin" rules add --target "$target" --what proxies --profiles h264_1080 2>&1) || fail "rules add: $out"
rule=$(sed -n 's/^rule \([0-9]*\)\t.*/\1/p' <<<"$out")
[[ $rule =~ ^[0-9]+$ ]] && grep -q "proxies	Post (target $target)	h264_1080	enabled" <<<"$out" || fail "rules add: $out"
"$bin" rules add --target "$target" --what originals >/dev/null 2>&1 || fail "rules add originals"
"$bin" rules list | grep -q "originals	Post (target $target)	-	enabled" || fail "rules list: $("$bin" rules list)"
n=$("$bin" rules list | wc -l)
for bad in "add --target $target --what proxies" "add --target $target --what stills" "add --target 999 --what sound" \
	"add --what sound" "remove 999" "remove x" "frobnicate"; do
	if "$bin" rules $bad >"$tmp/cli.out" 2>"$tmp/cli.err"; then fail "rules $bad succeeded"; fi
	[[ $(wc -l <"$tmp/cli.err") == 1 && -s "$tmp/cli.err" ]] || fail "rules $bad: not one line on stderr: $(cat "$tmp/cli.err")"
done
[[ $("$bin" rules list | wc -l) == "$n" ]] || fail "a refused rules command changed the rules"
orule=$("$bin" rules list | awk -F'\t' '$2 == "originals" { print $1 }')
"$bin" rules remove "$orule" | grep -q "rule $orule removed" || fail "rules remove $orule"
"$bin" rules list | grep -q "originals" && fail "the originals rule is still listed"
SETPOST_TOKEN=wrong "$bin" rules list >/dev/null 2>"$tmp/cli.err" && fail "rules list with a wrong token"
grep -q "401" "$tmp/cli.err" || fail "a wrong token: $(cat "$tmp/cli.err")"
ok "setpost rules add/list/remove through the cart's API (refused: a duplicate, stills, an unknown target, no target, an unknown or bad id, a wrong token; one line on stderr, nothing changed)"
api /api/v1/days/1/send -X POST >/dev/null
until_api 120 '[.items[] | select(.state == "delivered")] | length == 1' /api/v1/deliveries ||
	fail "the first proxy was not delivered: $got"
r1=$(jq -r '.items[0].rendition_id' <<<"$got")
clip=$(api "/api/v1/renditions" | jq -r ".items[] | select(.id == $r1) | .clip_id")
x1=$(api "/api/v1/renditions" | jq -r ".items[] | select(.id == $r1) | .xxh64")
rel1=$(api "/api/v1/renditions" | jq -r ".items[] | select(.id == $r1) | .rel_path")
name=$(basename "$rel1")
landed="$tmp/post/uploads/Feature/2026-12-07/A001R1AB/$name"
[[ $(xxhsum -H1 "$landed" | cut -d' ' -f1) == "$x1" ]] || fail "the first proxy at the post house"
ok "the first proxy (rendition $r1, version 1, xxh64 $x1) delivered by the rule to the post house"

# The DIT changes the clip's look: stale at once, made again, the old proxy done until then.
curl -sN -H "Authorization: Bearer $SETPOST_TOKEN" "$cart/api/v1/events/stream" >"$tmp/stream.txt" 2>/dev/null &
pids+=($!)
sleep 0.3
patched=$(api "/api/v1/clips/$clip" -X PATCH -d '{"look":{"slope":[1.3,1.0,0.8],"offset":[0.02,0,-0.02],"power":[1,1,1],"sat":0.8}}')
jq -e '.look.slope[0] == 1.3' <<<"$patched" >/dev/null || fail "PATCH look: $patched"
stale=$(api "/api/v1/events?kind=rendition.stale&subject_type=clip&subject_id=$clip")
jq -e "(.items | length == 1) and (.items[0].data.renditions == [$r1]) and .items[0].data.rerender == true" <<<"$stale" >/dev/null ||
	fail "rendition.stale after the look change: $stale"
# Until the new one is ready, a done proxy of the clip is always there (the old one).
seen_old=0
for _ in $(seq 600); do
	rs=$(api "/api/v1/renditions?clip_id=$clip")
	jq -e '[.items[] | select(.state == "done")] | length >= 1' <<<"$rs" >/dev/null ||
		fail "no done proxy while the new one is made: $rs"
	jq -e ".items[] | select(.id == $r1 and .state == \"done\" and .stale == true)" <<<"$rs" >/dev/null && seen_old=1
	jq -e '.items[] | select(.version == 2 and .state == "done")' <<<"$rs" >/dev/null && break
	sleep 0.2
done
[[ $seen_old == 1 ]] || fail "the old proxy was never seen done and stale: $rs"
r2=$(jq -r '.items[] | select(.version == 2) | .id' <<<"$rs")
[[ $r2 =~ ^[0-9]+$ ]] || fail "no version 2 of the proxy: $rs"
old=$(jq -c ".items[] | select(.id == $r1)" <<<"$rs")
new=$(jq -c ".items[] | select(.id == $r2)" <<<"$rs")
jq -e ".state == \"superseded\" and .superseded_by == $r2 and (.rel_path | test(\"/[.]superseded/$r1[.]\"))" <<<"$old" >/dev/null ||
	fail "the old rendition after the remake: $old"
jq -e ".state == \"done\" and .stale == false and .rel_path == \"$rel1\"" <<<"$new" >/dev/null || fail "the new rendition: $new"
x2=$(jq -r .xxh64 <<<"$new")
[[ $x2 != "$x1" ]] || fail "the new proxy has the old proxy's bytes (the look was not applied)"
[[ $(xxhsum -H1 "$tmp/cart/renditions/$(jq -r .rel_path <<<"$old")" | cut -d' ' -f1) == "$x1" ]] ||
	fail "the old proxy's file is not kept aside as it was"
api "/api/v1/renditions/$r2/file" -o "$tmp/new.mp4"
[[ $(xxhsum -H1 "$tmp/new.mp4" | cut -d' ' -f1) == "$x2" ]] || fail "GET the new proxy"
grep -q "^event: rendition.superseded" "$tmp/stream.txt" || fail "no rendition.superseded on the stream"
ok "a look change: rendition.stale, proxy made again as rendition $r2 (version 2, xxh64 $x2); the old one done and stale until then, superseded after, its file kept"

# Re-sent by the same rule; at the post house the new version takes the name.
until_api 90 ".items[] | select(.rendition_id == $r2) | .state == \"delivered\"" /api/v1/deliveries ||
	fail "the new proxy was not delivered: $(jq -c "[.items[] | select(.rendition_id == $r2)]" <<<"$got")"
jq -e ".items[] | select(.rendition_id == $r2) | .rule_id == $rule" <<<"$got" >/dev/null || fail "not by the rule: $got"
[[ $(xxhsum -H1 "$landed" | cut -d' ' -f1) == "$x2" ]] || fail "the post house's $name is not the new proxy"
arr=$(papi "/api/v1/arrivals")
jq -e --arg x1 "$x1" --arg x2 "$x2" --arg landed "$landed" '
	(.items | length == 2) and
	(.items[] | select(.xxh64 == $x2) | .version == 2 and .superseded_by == null and .path == $landed) and
	(.items[] | select(.xxh64 == $x1) | .version == 1 and (.path | test("/[.]superseded/")))' <<<"$arr" >/dev/null ||
	fail "arrivals after the re-sent proxy: $arr"
newup=$(jq -r --arg x2 "$x2" '.items[] | select(.xxh64 == $x2) | .upload' <<<"$arr")
jq -e --arg x1 "$x1" --arg up "$newup" '.items[] | select(.xxh64 == $x1) | .superseded_by == $up' <<<"$arr" >/dev/null ||
	fail "the old arrival is not superseded by the new: $arr"
oldpath=$(jq -r --arg x1 "$x1" '.items[] | select(.xxh64 == $x1) | .path' <<<"$arr")
[[ $(xxhsum -H1 "$oldpath" | cut -d' ' -f1) == "$x1" ]] || fail "the old arrival's file is not kept: $oldpath"
ok "the re-made proxy re-sent by the same rule: at the post house version 2 is $name, version 1 superseded by it and kept aside"

# A production that wants to choose when to re-render: stale, not made again.
api /api/v1/productions/1 -X PATCH -d '{"settings":{"look_rerender":false}}' >/dev/null
jobs_before=$(api "/api/v1/jobs?kind=transcode&limit=100" | jq '.items | length')
api "/api/v1/clips/$clip" -X PATCH -d '{"look":{"slope":[1,1,1],"offset":[0,0,0],"power":[1.2,1.2,1.2],"sat":1}}' >/dev/null
stale=$(api "/api/v1/events?kind=rendition.stale&subject_type=clip&subject_id=$clip")
jq -e "(.items | length == 2) and ([.items[] | select(.data.renditions == [$r2] and .data.rerender == false)] | length == 1)" <<<"$stale" >/dev/null ||
	fail "the second look change: $stale"
sleep 1
[[ $(api "/api/v1/jobs?kind=transcode&limit=100" | jq '.items | length') == "$jobs_before" ]] || fail "a transcode was queued with look_rerender false"
api "/api/v1/renditions?clip_id=$clip" | jq -e ".items[] | select(.id == $r2) | .state == \"done\" and .stale == true" >/dev/null ||
	fail "rendition $r2 not stale: $(api "/api/v1/renditions?clip_id=$clip")"
ok "look_rerender false: the proxy is marked stale, and not made again"

# The same look sent again is not a change: nothing stale, nothing queued.
n=$(api "/api/v1/events?kind=rendition.stale" | jq '.items | length')
api "/api/v1/clips/$clip" -X PATCH -d '{"look":{"slope":[1,1,1],"offset":[0,0,0],"power":[1.2,1.2,1.2],"sat":1}}' >/dev/null
[[ $(api "/api/v1/events?kind=rendition.stale" | jq '.items | length') == "$n" ]] || fail "an unchanged look marked proxies stale"
ok "the same look again changes nothing"

# Priorities under a bandwidth cap: a slow target (256 KB/s for everything sent to it) and two
# camera originals sent to it, then a proxy. The proxy does not wait for an original to end (a
# worker keeps its second upload slot for proxies) and takes most of the link (shares by class:
# proxies 4, originals 1), so it is verified at the post house before either original.
mkdir -p "$tmp/cards3/A003R1AB"
cp "$tmp/fx/A001R1AB/A001C002_250101_R1AB.mov" "$tmp/cards3/A003R1AB/A003C001_250101_R1AB.mov"
cp "$tmp/fx/A001R1AB/A001C003_250101_R1AB.mov" "$tmp/cards3/A003R1AB/A003C002_250101_R1AB.mov"
"$bin" offload "$tmp/cards3/A003R1AB" --to "$tmp/raid" --to "$tmp/shuttle" --register "$cart" \
	--production Feature --day 2026-12-07 --no-progress >"$tmp/offload3.out" 2>&1 || fail "offload 3: $(cat "$tmp/offload3.out")"
# Let the card's own work end first (probe, QC, proxies, their deliveries to Post by the rule).
until_api 180 '[.items[] | select(.state == "queued" or .state == "running")] | length == 0' "/api/v1/jobs?limit=500" ||
	fail "the second card's work did not end: $(jq -c '[.items[] | select(.state == "queued" or .state == "running") | {id, kind, state}]' <<<"$got")"
slow=$(api /api/v1/targets -d "{\"production_id\":1,\"name\":\"Slow\",\"url\":\"$post/api/v1/uploads/\",\"bandwidth_limit\":262144,
	\"recipient\":\"$recipient\",\"headers\":{\"Authorization\":\"Bearer $post_token\"}}" | jq -r .id)
[[ $slow =~ ^[0-9]+$ ]] || fail "slow target: $slow"
files=$(for n in A003C001_250101_R1AB A003C002_250101_R1AB; do
	c=$(api "/api/v1/clips?q=$n" | jq -r '.items[0].id'); api "/api/v1/clips/$c" | jq -r '.files[0].id'; done)
o1=$(api /api/v1/deliveries -d "{\"target_id\":$slow,\"file_id\":$(sed -n 1p <<<"$files")}" | jq -r .id)
o2=$(api /api/v1/deliveries -d "{\"target_id\":$slow,\"file_id\":$(sed -n 2p <<<"$files")}" | jq -r .id)
[[ $o1 =~ ^[0-9]+$ && $o2 =~ ^[0-9]+$ ]] || fail "original deliveries: $o1 $o2"
until_api 30 ".items[] | select(.id == $o1 or .id == $o2) | select(.state == \"uploading\" and .bytes_sent > 0)" /api/v1/deliveries ||
	fail "no original on the link: $(jq -c "[.items[] | select(.target_id == $slow)]" <<<"$got")"
pd=$(api /api/v1/deliveries -d "{\"target_id\":$slow,\"rendition_id\":$r2}" | jq -r .id)
[[ $pd =~ ^[0-9]+$ ]] || fail "proxy delivery: $pd"
until_api 60 ".items[] | select(.id == $pd) | .state == \"delivered\" or .state == \"failed\"" /api/v1/deliveries ||
	fail "the proxy was not delivered within 60 s: $(jq -c "[.items[] | select(.target_id == $slow)]" <<<"$got")"
rows=$(jq -c "[.items[] | select(.target_id == $slow) | {id, state, bytes_sent, bytes_total}]" <<<"$got")
jq -e ".[] | select(.id == $pd) | .state == \"delivered\"" <<<"$rows" >/dev/null || fail "the proxy: $rows"
jq -e "[.[] | select(.id == $o1 or .id == $o2) | select(.state == \"delivered\")] | length == 0" <<<"$rows" >/dev/null ||
	fail "an original ended before the proxy created after it: $rows"
share=$(api "/api/v1/jobs?kind=upload&limit=100" | jq -c "[.items[] | select(.payload.delivery_id == $pd)][0].result")
jq -e '.bandwidth_limit == 262144 and .share_min < 262144 and .share_min >= 200000' <<<"$share" >/dev/null ||
	fail "the proxy's share of the link (4 of 5 while an original is on it): $share"
until_api 90 "[.items[] | select((.id == $o1 or .id == $o2) and .state == \"delivered\")] | length == 2" /api/v1/deliveries ||
	fail "the originals did not arrive after the proxy: $(jq -c "[.items[] | select(.target_id == $slow)]" <<<"$got")"
ok "a 256 KB/s link: a proxy sent after two originals is verified first ($rows); its share of the link $(jq -c . <<<"$share")"

# A LUT for post: the clip's look baked into one .cube, named by the documented rule, that
# ociochecklut reads and that agrees with the ASC CDL math, and with ociobakelut's own bake of
# the same look (its .cc) where values stay in range.
if command -v ociochecklut >/dev/null && command -v ociobakelut >/dev/null; then
	# The clip takes its scene's default look, which has an id.
	api "/api/v1/clips/$clip" -X PATCH -d '{"scene":"12A","look":null}' | jq -e '.scene == "12A" and .look == null' >/dev/null ||
		fail "PATCH the clip's scene"
	api "/api/v1/scene-looks/12A" -X PUT -d '{"id":"warm_day","slope":[1.2,1.0,0.85],"offset":[0.02,0.0,-0.01],"power":[0.9,1.0,1.1],"sat":0.85}' |
		jq -e '.scene == "12A"' >/dev/null || fail "PUT the scene look"
	curl -s -D "$tmp/cube.h" -H "Authorization: Bearer $SETPOST_TOKEN" "$cart/api/v1/clips/$clip/look.cube" -o "$tmp/look.cube"
	grep -qi 'filename="Feature_2026-12-07_12A_warm_day.cube"' "$tmp/cube.h" || fail "the cube's name: $(grep -i disposition "$tmp/cube.h")"
	grep -q "^LUT_3D_SIZE 33" "$tmp/look.cube" || fail "not a 33-point cube: $(head -n 5 "$tmp/look.cube")"
	ociochecklut "$tmp/look.cube" >/dev/null 2>"$tmp/ocio.err" || fail "ociochecklut refuses the cube: $(cat "$tmp/ocio.err")"
	for rgb in "0.18 0.18 0.18" "0.5 0.25 0.1" "0.9 0.8 0.7" "0.05 0.6 0.95" "0 0 0" "1 1 1"; do
		out=$(ociochecklut "$tmp/look.cube" $rgb) || fail "ociochecklut $rgb"
		python3 - "$rgb" "$out" <<'PY' || fail "the cube at ($rgb) gives ($out), not the CDL's value"
import sys
i = [float(v) for v in sys.argv[1].split()]
o = [float(v) for v in sys.argv[2].split()[:3]]
slope, offset, power, sat = [1.2, 1.0, 0.85], [0.02, 0.0, -0.01], [0.9, 1.0, 1.1], 0.85
c = lambda v: min(1.0, max(0.0, v))
v = [c(i[k] * slope[k] + offset[k]) ** power[k] for k in range(3)]
l = 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]
want = [c(l + sat * (v[k] - l)) for k in range(3)]
# A 33-point grid with trilinear interpolation of a power curve: within 2e-3 of the math.
sys.exit(0 if all(abs(o[k] - want[k]) < 2e-3 for k in range(3)) else 1)
PY
	done
	api "/api/v1/clips/$clip/look.cc" -o "$tmp/look.cc"
	ociobakelut --lut "$tmp/look.cc" --format resolve_cube --cubesize 33 "$tmp/ocio.cube" >/dev/null 2>"$tmp/ocio.err" ||
		fail "ociobakelut of the clip's .cc: $(cat "$tmp/ocio.err")"
	python3 - "$tmp/look.cube" "$tmp/ocio.cube" <<'PY' || fail "our cube and ociobakelut's differ by more than 1e-4"
import sys
def rows(p):
    out = []
    for line in open(p):
        w = line.split()
        if len(w) == 3:
            try: out.append([float(x) for x in w])
            except ValueError: pass
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
assert len(a) == len(b) == 33 ** 3, (len(a), len(b))
# Where values stay in range: OCIO applies a .cc without the ASC clamps, so compare the grid
# points whose slope/offset result and final value are inside 0..1 on every channel.
slope, offset = [1.2, 1.0, 0.85], [0.02, 0.0, -0.01]
worst, n = 0.0, 0
for i, (ra, rb) in enumerate(zip(a, b)):
    rgb = [(i % 33) / 32, (i // 33 % 33) / 32, (i // 1089) / 32]   # red changes fastest
    if not all(0 <= rgb[k] * slope[k] + offset[k] <= 1 for k in range(3)):
        continue
    if not all(0 < x < 1 for x in ra + rb):
        continue
    n += 1
    worst = max(worst, max(abs(x - y) for x, y in zip(ra, rb)))
print("worst", worst, "over", n)
assert n > 10000, n
print("worst", worst)
sys.exit(0 if worst <= 1e-4 else 1)
PY
	code=$(api "/api/v1/clips/$clip/look.cube?size=9" -o "$tmp/bad.json" -w "%{http_code}")
	[[ $code == 400 ]] && jq -e '.error.code == "invalid"' "$tmp/bad.json" >/dev/null || fail "size=9: $code $(cat "$tmp/bad.json")"
	code=$(api "/api/v1/clips/999999/look.cube" -o "$tmp/bad.json" -w "%{http_code}")
	[[ $code == 404 ]] && jq -e '.error.code' "$tmp/bad.json" >/dev/null || fail "an unknown clip's cube: $code"
	ok "GET /api/v1/clips/$clip/look.cube: Feature_2026-12-07_12A_warm_day.cube, read by ociochecklut, the CDL's values within 2e-3, ociobakelut's bake within 1e-4; size=9 and an unknown clip refused"
else
	skip "the look baked into a .cube for post" "ociochecklut/ociobakelut (opencolorio-tools) missing"
fi
echo "look_remake.sh: all passed"

#!/usr/bin/env bash
# The DIT's QC loop on the footage a real day brings (issue 16), through the CLI and the HTTP
# API only, against a real setpost serve and worker with real ffmpeg on two tmpfs volumes:
#   broken files (0 bytes, text, a WAV named .mov, a QuickTime cut short) become media_error,
#   red with their reason, and the card stays safe to format while saying how many are
#   unreadable; camera raw says it needs the maker's software, not an error;
#   a QC hold names coded findings; a held clip is proxied but neither delivered nor offered to
#   pull until the DIT answers (API: override; CLI: acknowledge, release), each step an event;
#   what a hold blocks is the production's setting.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_need_root "qc journey"
cli_journey journey_qc
bash "$top/tests/fixtures/make-qc-clips.sh" "$tmp/cards" >/dev/null 2>&1
# The delivery target of the hold check is on loopback, which setpost refuses unless the
# operator allows it (issue 14): this cart allows 127.0.0.1 explicitly.
cli_serve "$tmp/serve" --data "$tmp/data" --outbound-allow 127.0.0.1/32
export SETPOST_TOKEN=$("$bin" token create --role admin --name dit | tail -n 1)
editor=$("$bin" token create --role editor --name cutting-room | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url$1"; }
# post PATH JSON -> "STATUS BODY"
post() {
	curl -s -o "$tmp/body" -w "%{http_code}" -X "${3:-POST}" -H "Authorization: Bearer $SETPOST_TOKEN" \
		-H "Content-Type: application/json" -d "$2" "$url$1"
}
cli_mount "$tmp/raid" 256m || fail "mount raid"
cli_mount "$tmp/shuttle" 256m || fail "mount shuttle"

# The card registered first; the production says warnings hold too, and that a hold blocks
# delivery only, before any QC job runs (no worker yet).
out=$("$bin" offload "$tmp/cards/A001R1AB" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
	--production "Feature" --day 2026-12-07 --no-progress 2>&1)
grep -q "safe to format: YES" <<<"$out" || fail "offload: $out"
code=$(post /api/v1/productions/1 '{"settings":{"qc":{"hold_blocks":["delivery","pull","proxies"]}}}' PATCH)
[[ $code == 400 ]] && grep -q "hold_blocks\[2\]" "$tmp/body" || fail "a bad hold_blocks: $code $(cat "$tmp/body")"
[[ $(api /api/v1/productions | jq -c '.items[0].settings') == "{}" ]] || fail "a refused patch changed nothing"
code=$(post /api/v1/productions/1 '{"settings":{"qc":{"hold":"warning"}}}' PATCH)
[[ $code == 200 ]] || fail "settings: $code $(cat "$tmp/body")"
ok "QC settings are checked when set: hold_blocks names delivery and pull only"

cli_worker "$tmp/worker" --slots 2 --data "$tmp/data" --outbound-allow 127.0.0.1/32
cli_idle
clip() { api "/api/v1/clips?q=$1" | jq '.items[0]'; }
cid() { clip "$1" | jq -r .id; }

# --- broken files: media_error, with the reason, and an event --------------------------------
for c in "A001C020_250101_R1AB:the file is empty (0 bytes)" "A001C021_250101_R1AB:not a media file" \
	"A001C022_250101_R1AB:the name lies about its type" "A001C023_250101_R1AB:ffmpeg cannot read it"; do
	name=${c%%:*} why=${c#*:}
	j=$(clip "$name")
	[[ $(jq -r .state <<<"$j") == media_error ]] || fail "$name: $j"
	grep -qF "$why" <<<"$(jq -r .state_reason <<<"$j")" || fail "$name reason: $j"
	ev=$(api "/api/v1/clips/$(jq -r .id <<<"$j")" | jq -c '[.events[] | select(.kind == "clip.media_error")][0].data')
	grep -qF "$why" <<<"$ev" || fail "$name event: $ev"
done
n=$(api "/api/v1/clips?state=media_error" | jq '.items | length')
[[ $n == 4 ]] || fail "4 unreadable: $(api "/api/v1/clips?state=media_error")"
ok "0-byte, text, WAV named .mov and truncated files are media_error with their reason and a clip.media_error event"

day=$(api /api/v1/days | jq -r '.items[0].id')
card=$(api "/api/v1/days/$day/cards" | jq '.cards[0]')
[[ $(jq -r .safe_to_format <<<"$card") == true ]] || fail "copies are verified: safe: $card"
[[ $(jq -r .unreadable <<<"$card") == 4 ]] || fail "unreadable count: $card"
jq -r '.unreadable_reasons[0]' <<<"$card" | grep -q "^A001C020_250101_R1AB: .*empty" || fail "reasons: $card"
[[ $(api "/api/v1/cards/$(jq -r .id <<<"$card")" | jq .unreadable) == 4 ]] || fail "card detail"
ok "the card stays safe to format (its copies are verified) and says 4 clips unreadable, with why"

raw=$(clip A001C011_250101_R1AB)
[[ $(jq -r .state <<<"$raw") == secured && $(jq -r .media_status <<<"$raw") == vendor_tool ]] || fail "raw: $raw"
jq -r .vendor_tool <<<"$raw" | grep -q "needs ARRI's software" || fail "raw: $raw"
ok "ARRIRAW is not an error: secured, its media says it needs the maker's software"

# --- a frame sequence with a frame missing ---------------------------------------------------
bash "$top/tests/fixtures/make-sequence-cards.sh" "$tmp/seq" >/dev/null
out=$("$bin" offload "$tmp/seq/A002R2CD" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
	--production "Feature" --day 2026-12-07 --no-progress 2>&1)
grep -q "safe to format: YES" <<<"$out" || fail "offload the ARRIRAW card: $out"
cli_idle
gap=$(clip A002C004_250102_R2CD)
[[ $(jq -r .state <<<"$gap") == media_error ]] || fail "a gap: $gap"
jq -r .state_reason <<<"$gap" | grep -qF "frames missing from the sequence: 402 (1)" || fail "reason: $gap"
api "/api/v1/clips/$(jq -r .id <<<"$gap")" | jq -e '[.events[] | select(.kind == "clip.media_error")][0].data.reason | test("402")' >/dev/null || fail "event"
whole=$(clip A002C005_250102_R2CD)
[[ $(jq -r .state <<<"$whole") == secured ]] || fail "a whole sequence: $whole"
ok "an ARRIRAW clip with frame 402 missing is media_error naming the frame; a whole one is not"

# --- a Sony card offloaded from inside its XDROOT/ folder ------------------------------------
bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards2" >/dev/null 2>&1
"$bin" offload "$tmp/cards2/sony/XDROOT" --card S004 --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
	--production "Feature" --day 2026-12-07 --no-progress >"$tmp/sony.out" 2>"$tmp/sony.err" || fail "offload XDROOT: $(cat "$tmp/sony.err")"
grep -qF "warning: this looks like part of a Sony card (the contents of its XDROOT/ folder): offload from $tmp/cards2/sony" "$tmp/sony.err" \
	|| fail "hint: $(cat "$tmp/sony.err")"
sony=$(api /api/v1/cards | jq '[.items[] | select(.label == "S004")][0]')
[[ $(jq -r .vendor <<<"$sony") == sony && $(jq -r .clips <<<"$sony") == 2 ]] || fail "recognised as Sony, 2 clips: $sony"
[[ $(api "/api/v1/clips?card_id=$(jq -r .id <<<"$sony")" | jq '[.items[] | select(.name | test("S03$"))] | length') == 0 ]] || fail "the Sub/ proxy is not a clip"
ok "a Sony card offloaded from XDROOT/ is still Sony (its Sub/ proxy no clip of its own) and the offload says to offload from the card's root"

# --- a hold: coded findings; proxied, not delivered nor pulled -------------------------------
frozen=$(cid A001C008_250101_R1AB)
j=$(api "/api/v1/clips/$frozen")
[[ $(jq -r .state <<<"$j") == qc_hold ]] || fail "frozen take held: $(jq -c '{state,state_reason}' <<<"$j")"
f=$(jq -c '[.qc[] | select(.kind == "frozen")][0]' <<<"$j")
[[ $(jq -r .code <<<"$f") == SP-IMG-FREEZE && $(jq -r .disposition <<<"$f") == open ]] || fail "finding: $f"
[[ $(jq -r '[.renditions[] | select(.state == "done")] | length' <<<"$j") -ge 1 ]] || fail "a held clip is proxied: $j"
rend=$(jq -r '[.renditions[] | select(.state == "done")][0].id' <<<"$j")
feed() { curl -s -H "Authorization: Bearer $editor" "$url/api/v1/dailies?limit=500"; }
[[ $(feed | jq "[.items[] | select(.clip.id == $frozen)] | length") == 0 ]] || fail "held clip offered to pull"
[[ $(feed | jq '.items | length') -ge 1 ]] || fail "other clips are in the feed: $(feed)"
"$bin" keygen -o "$tmp/post.key" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$tmp/post.key")
code=$(post /api/v1/targets "{\"production_id\":1,\"name\":\"post\",\"url\":\"http://127.0.0.1:9/files/\",\"recipient\":\"$recipient\"}")
tid=$(jq -r .id "$tmp/body")
[[ $code == 201 && $tid =~ ^[0-9]+$ ]] || fail "target: $code $(cat "$tmp/body")"
code=$(post /api/v1/deliveries "{\"target_id\":$tid,\"rendition_id\":$rend}")
[[ $code == 409 ]] && jq -r .error.message "$tmp/body" | grep -q "on QC hold" || fail "delivery of a held clip: $code $(cat "$tmp/body")"
[[ $(api /api/v1/deliveries | jq '.items | length') == 0 ]] || fail "a refused delivery left a row"
ok "a held clip is proxied, names coded findings, is not delivered (409) nor in the dailies feed"

# --- answering the hold: bad answers change nothing -----------------------------------------
fid=$(jq -r .id <<<"$f")
code=$(post "/api/v1/clips/$frozen/qc/findings/$fid" '{"action":"override"}')
[[ $code == 400 ]] || fail "no note: $code"
code=$(post "/api/v1/clips/$frozen/qc/findings/$fid" '{"action":"ignore","note":"x"}')
[[ $code == 400 ]] && jq -e '.error.code and .error.message' "$tmp/body" >/dev/null || fail "bad action: $code"
code=$(post "/api/v1/clips/$frozen/qc/findings/999999" '{"action":"override","note":"x"}')
[[ $code == 404 ]] || fail "no such finding: $code"
code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $editor" -H "Content-Type: application/json" \
	-d '{"action":"override","note":"x"}' "$url/api/v1/clips/$frozen/qc/findings/$fid")
[[ $code == 403 ]] || fail "an editor answered a hold: $code"
[[ $(api "/api/v1/clips/$frozen" | jq -r '.state + " " + ([.qc[] | select(.disposition != "open")] | length | tostring)') == "qc_hold 0" ]] \
	|| fail "refused answers changed the clip"
ok "answers without a note, with a bad action, for no finding or by an editor are refused and change nothing"

# Every finding that holds answered: released, to what its proxies say.
n=0
for id in $(api "/api/v1/clips/$frozen" | jq -r '.qc[] | select(.severity != "info") | .id'); do
	code=$(post "/api/v1/clips/$frozen/qc/findings/$id" '{"action":"override","note":"locked-off plate, meant to be still"}')
	[[ $code == 200 ]] || fail "override: $code $(cat "$tmp/body")"
	n=$((n + 1))
done
j=$(api "/api/v1/clips/$frozen")
[[ $(jq -r .state <<<"$j") == proxied ]] || fail "released after the last answer: $(jq -c '{state,qc}' <<<"$j")"
[[ $(jq "[.events[] | select(.kind == \"clip.qc_finding_overridden\" and .actor == \"token:dit\")] | length" <<<"$j") == "$n" ]] || fail "events: $j"
jq -e '[.events[] | select(.kind == "clip.qc_released")][0].data.reason == "locked-off plate, meant to be still"' <<<"$j" >/dev/null || fail "release event: $j"
code=$(post "/api/v1/clips/$frozen/qc/findings/$fid" '{"action":"acknowledge","note":"again"}')
[[ $code == 409 ]] || fail "answered twice: $code"
[[ $(feed | jq "[.items[] | select(.clip.id == $frozen)] | length") -ge 1 ]] || fail "released clip offered to pull"
code=$(post /api/v1/deliveries "{\"target_id\":$tid,\"rendition_id\":$rend}")
[[ $code == 201 ]] || fail "delivery after release: $code $(cat "$tmp/body")"
ok "overriding each finding (API) releases the clip: proxied, in the feed, deliverable; each step an event"

# --- the same from the cart's terminal ------------------------------------------------------
crushed=$(cid A001C006_250101_R1AB)
[[ $(clip A001C006_250101_R1AB | jq -r .state) == qc_hold ]] || fail "warnings hold here"
"$bin" qc show "$crushed" >"$tmp/show"
grep -q "SP-IMG-CRUSH .*open" "$tmp/show" || fail "qc show: $(cat "$tmp/show")"
f6=$(api "/api/v1/clips/$crushed" | jq -r '[.qc[] | select(.kind == "crushed_blacks")][0].id')
if "$bin" qc acknowledge "$crushed" "$f6" 2>"$tmp/err"; then fail "no note accepted"; fi
[[ $(wc -l <"$tmp/err") == 1 ]] && grep -q "^setpost qc: --note" "$tmp/err" || fail "$(cat "$tmp/err")"
out=$("$bin" qc acknowledge "$crushed" "$f6" --note "night exterior, as lit" --by dit-cart)
grep -q "acknowledged" <<<"$out" || fail "$out"
j=$(api "/api/v1/clips/$crushed")
jq -e '[.events[] | select(.kind == "clip.qc_finding_acknowledged" and .actor == "dit-cart")] | length == 1' <<<"$j" >/dev/null || fail "cli event: $j"
jq -e '[.qc[] | select(.kind == "crushed_blacks")][0] | .disposition == "acknowledged" and .note == "night exterior, as lit"' <<<"$j" >/dev/null || fail "cli answer: $j"
black=$(cid A001C007_250101_R1AB)
[[ $(clip A001C007_250101_R1AB | jq -r .state) == qc_hold ]] || fail "black held"
"$bin" qc release "$black" --note "black is the fade in the script" --by dit-cart >/dev/null
j=$(api "/api/v1/clips/$black")
[[ $(jq -r .state <<<"$j") == proxied ]] || fail "released from the CLI: $(jq -c '{state,state_reason}' <<<"$j")"
jq -e '[.qc[] | select(.disposition == "open")] | length == 0' <<<"$j" >/dev/null || fail "release acknowledges the open findings"
jq -e '[.events[] | select(.kind == "clip.qc_released" and .actor == "dit-cart")][0].data.reason == "black is the fade in the script"' <<<"$j" >/dev/null || fail "$j"
if "$bin" qc release "$black" --note "again" 2>"$tmp/err"; then fail "released twice"; fi
grep -q "not on QC hold" "$tmp/err" || fail "$(cat "$tmp/err")"
ok "setpost qc show / acknowledge / release: the same life cycle from the CLI, with its events"

# --- what a hold blocks is a setting ---------------------------------------------------------
code=$(post /api/v1/productions/1 '{"settings":{"qc":{"hold":"warning","hold_blocks":["delivery"]}}}' PATCH)
[[ $code == 200 ]] || fail "$code"
clipping=$(cid A001C005_250101_R1AB)
[[ $(clip A001C005_250101_R1AB | jq -r .state) == qc_hold ]] || fail "clipped highlights held"
[[ $(feed | jq "[.items[] | select(.clip.id == $clipping)] | length") -ge 1 ]] || fail "hold_blocks without pull: offered"
r5=$(api "/api/v1/clips/$clipping" | jq -r '[.renditions[] | select(.state == "done")][0].id')
code=$(post /api/v1/deliveries "{\"target_id\":$tid,\"rendition_id\":$r5}")
[[ $code == 409 ]] || fail "still not delivered: $code"
ok "settings.qc.hold_blocks [\"delivery\"]: a held clip is offered to pull but still not delivered"
echo "qc.sh: all passed"

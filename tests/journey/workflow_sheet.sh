#!/usr/bin/env bash
# The agreed workflow sheet, as production and the DIT reach it: the DIT sets it from the
# terminal (`setpost workflow set`), each change is a new version and a workflow.changed
# event, a refused sheet changes nothing, an editor reads it but cannot change it, the PDF to
# sign off is read back with pdftotext, and a card shot at 25 fps where the sheet says 23.976
# (and named outside the naming rule) is registered: its clips carry QC findings that name the
# sheet's rule, seen through the API.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_need_tools "the workflow sheet's PDF" pdftotext pdfinfo
cli_need_root "cards secured on two volumes, probed against the sheet"
cli_journey journey_workflow
on_fail() { tail -n 5 "$tmp/serve.log" "$tmp/worker.log" >&2 2>/dev/null || true; }
bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1
cli_serve "$tmp/serve" --data "$tmp/data"
admin=$("$bin" token create --role admin --name dit | tail -n 1)
editor=$("$bin" token create --role editor --name cutting-room | tail -n 1)
export SETPOST_TOKEN=$admin SETPOST_URL=$url
api() { curl -s -H "Authorization: Bearer $admin" "$url$1"; }
put_sheet() { # put_sheet FILE: PUT it as the production's sheet, the answer on stdout
	curl -s -X PUT -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
		--data-binary @"$1" "$url/api/v1/productions/$prod/workflow"
}
# The production comes with its first card: the ARRI card, which keeps to the sheet (23.976,
# ProRes, named by the rule, sound in the file). Its clips are probed once a worker runs,
# after the sheet is set.
cli_mount "$tmp/raid" 96m || fail "mount raid"
cli_mount "$tmp/shuttle" 96m || fail "mount shuttle"
offload() {
	"$bin" offload "$tmp/cards/$1" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
		--production "Night Feature" --day 2026-11-27 --no-progress >"$tmp/off-$1.out" 2>&1 ||
		fail "offload $1: $(cat "$tmp/off-$1.out")"
}
offload arri
prod=$(api /api/v1/productions | jq -r '.items[] | select(.name == "Night Feature") | .id')
[[ $prod =~ ^[0-9]+$ ]] || fail "no production: $(api /api/v1/productions)"

# --- set from the terminal, versioned, with an event ------------------------------------------------
cat >"$tmp/sheet.json" <<'EOF'
{
  "cameras": [{"name": "A", "model": "ALEXA 35", "recording": "ProRes 4444 XQ, 4.6K 3:2 Open Gate"},
              {"name": "B", "model": "VENICE 2", "recording": "X-OCN LT"}],
  "resolution": ["3840x2160", "160x90"],
  "frame_rate": "23.976",
  "codecs": ["prores", "h264"],
  "colour_pipeline": "LogC4 / AWG4 to Rec.709 through the show LUT",
  "looks": ["Day exterior", "Night interior"],
  "luts": ["NF_show_v3.cube"],
  "naming_rule": "[A-Z][0-9]{3}C[0-9]{3}_[0-9]{6}_[A-Z0-9]{4}",
  "copies_required": 3,
  "media_rule": "camera cards wiped only after three verified copies",
  "archive_rule": "two LTO-9 tapes, one off site",
  "proxy_profiles": ["h264_1080"],
  "delivery": {"schedule": "dailies by 06:00 the next morning", "targets": ["Post house (Lisbon)"]},
  "sound": {"format": "BWF 48 kHz 24-bit polyphonic", "in_camera": true, "timecode": "TOD, jammed at call"},
  "timecode": "Time of day, 23.976 NDF",
  "contacts": [{"role": "DIT", "name": "Ana Lima", "email": "ana@example.org"},
               {"role": "Post supervisor", "name": "Jo Ferreira"}]
}
EOF
out=$("$bin" workflow set "$tmp/sheet.json") || fail "workflow set: $out"
[[ $out == *"version 1" ]] || fail "first version: $out"
out=$("$bin" workflow set "$tmp/sheet.json") || fail "workflow set again: $out"
[[ $out == *"version 1 (unchanged)" ]] || fail "the same sheet again is no change: $out"
"$bin" workflow show >"$tmp/show.txt" || fail "workflow show"
grep -qx "version	1" "$tmp/show.txt" || fail "show: $(cat "$tmp/show.txt")"
grep -q "^frame_rate	23.976$" "$tmp/show.txt" || fail "show: $(cat "$tmp/show.txt")"
grep -q "^cameras	name=A, model=ALEXA 35" "$tmp/show.txt" || fail "show cameras: $(cat "$tmp/show.txt")"
ok "setpost workflow set makes version 1; the same sheet again makes none; show prints it"

# A refused sheet changes nothing: a frame rate that is none, an unknown key, a bad rule.
for bad in '{"frame_rate": "fast"}' '{"frame_rate": "25", "camera": "A"}' '{"naming_rule": "A(("}' \
	'{"copies_required": 0}' '{"sound": {"in_camera": 3}}'; do
	code=$(curl -s -o "$tmp/bad.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $admin" \
		-H "Content-Type: application/json" -d "$bad" "$url/api/v1/productions/$prod/workflow")
	[ "$code" = 400 ] || fail "PUT $bad: $code $(cat "$tmp/bad.json")"
	jq -e '.error.code and .error.message' "$tmp/bad.json" >/dev/null || fail "error body: $(cat "$tmp/bad.json")"
done
code=$(curl -s -o "$tmp/ed.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $editor" \
	-H "Content-Type: application/json" -d '{"frame_rate": "25"}' "$url/api/v1/productions/$prod/workflow")
[ "$code" = 403 ] || fail "an editor's PUT: $code $(cat "$tmp/ed.json")"
w=$(curl -s -H "Authorization: Bearer $editor" "$url/api/v1/productions/$prod/workflow")
jq -e '.version == 1 and .sheet.frame_rate == "23.976" and .changed_by == "token:dit"' <<<"$w" >/dev/null ||
	fail "after refused changes: $w"
ok "refused sheets (bad rate, unknown key, bad rule, 0 copies, a number for in_camera) are 400 and change nothing; an editor reads, cannot write (403)"

# A change by the API is version 2 and an event naming it.
jq '.frame_rate = "23.976" | .notes = "night shoot week 2"' "$tmp/sheet.json" >"$tmp/sheet2.json"
w=$(put_sheet "$tmp/sheet2.json")
jq -e '.version == 2 and .changed == true and .sheet.notes == "night shoot week 2"' <<<"$w" >/dev/null || fail "v2: $w"
ev=$(api "/api/v1/events?kind=workflow.changed&limit=10")
jq -e '[.items[] | select(.kind == "workflow.changed") | .data.version] | sort == [1, 2]' <<<"$ev" >/dev/null ||
	fail "workflow.changed events: $(jq -c '[.items[] | [.kind, .data]]' <<<"$ev")"
ok "PUT makes version 2; workflow.changed recorded for versions 1 and 2"

# --- the sheet to sign: PDF (poppler) and HTML ---------------------------------------------------
code=$(curl -s -H "Authorization: Bearer $editor" -o "$tmp/wf.pdf" -w '%{http_code} %{content_type}' \
	"$url/api/v1/productions/$prod/workflow.pdf")
[[ $code == "200 application/pdf" ]] || fail "workflow.pdf: $code $(head -c 200 "$tmp/wf.pdf")"
pdfinfo "$tmp/wf.pdf" | grep -q "Page size: *841.89 x 595.276 pts (A4)" || fail "A4: $(pdfinfo "$tmp/wf.pdf")"
pdftotext -layout "$tmp/wf.pdf" "$tmp/wf.txt"
for want in "Workflow sheet" "version 2" "ALEXA 35" "ProRes 4444 XQ" "VENICE 2" "23.976" "3840x2160" \
	"LogC4 / AWG4 to Rec.709" "NF_show_v3.cube" "Naming rule" "[A-Z][0-9]{3}C[0-9]{3}" "Copies required" \
	"two LTO-9 tapes" "h264_1080" "dailies by 06:00" "BWF 48 kHz 24-bit polyphonic" "Time of day" \
	"Ana Lima" "ana@example.org" "Post supervisor" "Sign-off" "Signature"; do
	grep -qF -- "$want" "$tmp/wf.txt" || fail "the sheet's PDF lacks '$want': $(head -60 "$tmp/wf.txt")"
done
code=$(curl -s -H "Authorization: Bearer $admin" -o "$tmp/wf.html" -w '%{http_code} %{content_type}' \
	"$url/api/v1/productions/$prod/workflow.html")
[[ $code == "200 text/html; charset=utf-8" ]] || fail "workflow.html: $code"
grep -qF "night shoot week 2" "$tmp/wf.html" && grep -qF "Jo Ferreira" "$tmp/wf.html" || fail "the HTML sheet"
! grep -qiE '(src|href)="https?:' "$tmp/wf.html" || fail "the HTML sheet loads something from elsewhere"
ok "workflow.pdf (A4) names every setting, contact and a sign-off table (pdftotext); workflow.html is self-contained"

# --- a card that breaks it -----------------------------------------------------------------------
# Sony XDROOT: 25 fps H.264 MXF named A004C002_250103J4 (not the ARRI-style naming rule).
offload sony
cli_worker "$tmp/worker" --slots 2 --data "$tmp/data"
cli_idle
clip() { api "/api/v1/clips?limit=200" | jq -r --arg n "$1" '.items[] | select(.name == $n) | .id'; }
c=$(api "/api/v1/clips/$(clip A004C002_250103J4)")
jq -e '[.qc[] | select(.kind == "workflow" and .code == "SP-WF-RATE")] | length == 1' <<<"$c" >/dev/null ||
	fail "no frame-rate finding: $(jq -c '.qc' <<<"$c")"
msg=$(jq -r '.qc[] | select(.code == "SP-WF-RATE") | .message' <<<"$c")
[[ $msg == *"25/1"* && $msg == *"workflow sheet (version 2)"* && $msg == *"frame_rate 23.976"* ]] ||
	fail "the finding names the rule: $msg"
jq -e '[.qc[] | select(.code == "SP-WF-NAME")] | length == 1' <<<"$c" >/dev/null ||
	fail "no naming finding: $(jq -c '.qc' <<<"$c")"
jq -e '[.qc[] | select(.code == "SP-WF-CODEC" or .code == "SP-WF-SIZE" or .code == "SP-WF-SOUND")] | length == 0' \
	<<<"$c" >/dev/null || fail "findings the clip does not deserve: $(jq -c '.qc' <<<"$c")"
ok "Sony clip at 25 fps: SP-WF-RATE '$msg', and SP-WF-NAME; nothing about codec, size or sound it keeps to"
a=$(api "/api/v1/clips/$(clip A001C001_250101_R1AB)")
jq -e '[.qc[] | select(.kind == "workflow")] | length == 0' <<<"$a" >/dev/null ||
	fail "the ARRI clip keeps to the sheet: $(jq -c '.qc' <<<"$a")"
ok "ARRI clip at 23.976, ProRes, with sound, named by the rule: no workflow finding"

# --- a new version re-checks the clips already probed ------------------------------------------------
jq '.frame_rate = "25"' "$tmp/sheet2.json" >"$tmp/sheet3.json"
w=$(put_sheet "$tmp/sheet3.json")
jq -e '.version == 3 and .changed == true' <<<"$w" >/dev/null || fail "v3: $w"
c=$(api "/api/v1/clips/$(clip A004C002_250103J4)")
jq -e '[.qc[] | select(.code == "SP-WF-RATE")] | length == 0' <<<"$c" >/dev/null ||
	fail "the Sony clip at 25 keeps to version 3: $(jq -c '.qc' <<<"$c")"
a=$(api "/api/v1/clips/$(clip A001C001_250101_R1AB)")
msg=$(jq -r '.qc[] | select(.code == "SP-WF-RATE") | .message' <<<"$a")
[[ $msg == *"24000/1001"*"(version 3): frame_rate 25"* ]] || fail "the ARRI clip breaks version 3: $(jq -c '.qc' <<<"$a")"
# What the answer counts: both Sony clips named outside the rule, both ARRI clips off the rate.
n=0
for id in $(api "/api/v1/clips?limit=200" | jq -r '.items[].id'); do
	n=$((n + $(api "/api/v1/clips/$id" | jq '[.qc[] | select(.kind == "workflow")] | length')))
done
[[ $n == 4 ]] && jq -e '.findings == 4' <<<"$w" >/dev/null || fail "findings: $n on the clips, the answer: $w"
ok "version 3 (25 fps) re-checks the probed clips at once: the Sony clip's rate finding goes, the ARRI clip gets '$msg'"

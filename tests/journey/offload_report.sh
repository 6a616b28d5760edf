#!/usr/bin/env bash
# The per-card offload report, reached as a DIT reaches it: `setpost offload` writes it beside
# each copy (PDF, HTML, CSV), records it in that copy's ASC MHL history (so `setpost verify`
# checks it and catches a changed one), a resumed offload adds its own without touching the
# first, an offload job run by a worker writes it too, and the API serves the same report from
# the database. Read back with pdftotext (poppler), Chromium and Python's csv module.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
for tool in pdfinfo pdftotext chromium; do
	command -v "$tool" >/dev/null || fail "$tool is needed (make deps installs it)"
done
cli_need_root "the offload report beside two copies"
cli_journey journey_offrep
bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1
# report.ready goes to a webhook receiver on loopback, which this cart allows explicitly.
cli_serve "$tmp/serve" --data "$tmp/data" --outbound-allow 127.0.0.1/32
admin=$("$bin" token create --role admin --name cart | tail -n 1)
export SETPOST_TOKEN=$admin
api() { curl -s -H "Authorization: Bearer $admin" "$url$1"; }
get() { curl -s -H "Authorization: Bearer $admin" -o "$2" -w '%{http_code} %{content_type}' "$url$1"; }

cli_hook "$tmp/hooks"
port=$hook_port
hook=$(curl -s -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
	-d "{\"url\":\"http://127.0.0.1:$port/hook\",\"events\":[\"report.ready\"]}" "$url/api/v1/webhooks")
[[ $(jq -r .id <<<"$hook") =~ ^[0-9]+$ ]] || fail "webhook for report.ready: $hook"

mkdir -p "$tmp/single"
cli_mount "$tmp/raid" 96m || fail "mount raid"
cli_mount "$tmp/shuttle" 96m || fail "mount shuttle"

# --- the report beside each copy ------------------------------------------------------------------
"$bin" offload "$tmp/cards/arri" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
	--production "Night Feature" --day 2026-11-25 --author "Ana Lima" --no-progress \
	>"$tmp/off1.out" 2>&1 || fail "offload arri: $(cat "$tmp/off1.out")"
grep -q "safe to format: YES" "$tmp/off1.out" || fail "two volumes: $(cat "$tmp/off1.out")"
stem=$(sed -n 's/^offload report: \(arri_offload_[0-9]*_[0-9]*Z\)\.pdf, \.html, \.csv on 2 copies$/\1/p' "$tmp/off1.out")
[ -n "$stem" ] || fail "the offload names its report: $(cat "$tmp/off1.out")"
for v in raid shuttle; do
	for ext in pdf html csv; do
		[ -s "$tmp/$v/arri/$stem.$ext" ] || fail "$v/arri/$stem.$ext: $(ls "$tmp/$v/arri")"
	done
done
ok "setpost offload writes $stem.pdf, .html and .csv into both copies' card folders"

# The files of the card, as they lie on the copy (the report and the history aside).
(cd "$tmp/raid/arri" && find . -type f ! -path './ascmhl/*' ! -name "${stem}.*" | sed 's|^\./||' | sort) >"$tmp/files"
nfiles=$(wc -l <"$tmp/files")
[ "$nfiles" -ge 4 ] || fail "card files: $(cat "$tmp/files")"
pdfinfo "$tmp/raid/arri/$stem.pdf" | grep -q "Page size: *841.89 x 595.276 pts (A4)" || fail "A4 PDF"
pdftotext -layout "$tmp/raid/arri/$stem.pdf" "$tmp/off.txt"
for want in "Offload report" "Night Feature" "2026-11-25" "arri (camera card)" "Operator" "Ana Lima" \
	"Started (UTC)" "Ended (UTC)" "Hash algorithms" "xxh64" "Final status: VERIFIED, every file on every copy" \
	"Copies: 2 of 2 hold every file, verified" "Safe to format: YES" "raid" "shuttle" "memory" "page 1 of"; do
	grep -qF "$want" "$tmp/off.txt" || fail "the PDF lacks '$want': $(head -40 "$tmp/off.txt")"
done
pdftotext -raw "$tmp/raid/arri/$stem.pdf" - | tr -d ' \n' >"$tmp/off.flat"
while read -r f; do
	grep -qF "$(tr -d ' ' <<<"$f")" "$tmp/off.flat" || fail "the PDF lacks file $f"
done <"$tmp/files"
for c in $(api "/api/v1/clips?limit=200" | jq -r '.items[] | select(.name | startswith("A001C")) | .name'); do
	grep -qF "$c" "$tmp/off.flat" || fail "the PDF lacks clip $c"
done
ok "PDF: header (production, day, card, operator, start and end, algorithms), every file and clip, both volumes, 'Safe to format: YES'"

python3 - "$tmp/raid/arri/$stem.csv" "$tmp/files" <<'PY' || fail "csv: $(head -3 "$tmp/raid/arri/$stem.csv")"
import csv, sys, subprocess
rows = list(csv.reader(open(sys.argv[1], newline='')))
head, body = rows[0], rows[1:]
assert head == ['card', 'clip', 'file', 'size', 'role', 'hashes', 'volume', 'copy_path', 'state',
                'verified_at', 'error'], head
files = open(sys.argv[2]).read().split()
assert len(body) == 2 * len(files), (len(body), len(files))
assert sorted({r[2] for r in body}) == sorted(files), (sorted({r[2] for r in body}), files)
assert {r[6] for r in body} == {'raid', 'shuttle'}, {r[6] for r in body}
assert all(r[8] == 'verified' and r[5].startswith('xxh64:') for r in body), body[:2]
PY
# The hashes in the CSV are the ones the copy's ASC MHL history records.
mhl=$(ls "$tmp/raid/arri/ascmhl/"0001_*.mhl)
first=$(head -n 1 "$tmp/files")
want=$(python3 - "$mhl" "$first" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {'m': 'urn:ASC:MHL:v2.0'}
for h in ET.parse(sys.argv[1]).getroot().iter('{urn:ASC:MHL:v2.0}hash'):
    if h.find('m:path', ns).text == sys.argv[2]:
        print(h.find('m:xxh64', ns).text)
PY
)
[ -n "$want" ] && grep -F "\"$first\"" "$tmp/raid/arri/$stem.csv" | grep -q "xxh64:$want" ||
	grep -F ",$first," "$tmp/raid/arri/$stem.csv" | grep -q "xxh64:$want" || fail "hash of $first: $want"
ok "CSV: one row per file and copy ($((2 * nfiles))), every copy verified, hashes as the ASC MHL history records them"

outside=$(grep -Eio '(src|href)="[^"]{0,22}|url\(|@import|<script' "$tmp/raid/arri/$stem.html" | grep -v '^src="data:image/jpeg;base64' || true)
[ -z "$outside" ] || fail "the page loads something: $(head -3 <<<"$outside")"
grep -q "Safe to format: YES" "$tmp/raid/arri/$stem.html" || fail "html verdict"
cli_screenshot "$tmp/raid/arri/$stem.html" offload-report.png
ok "HTML: nothing loaded from elsewhere; Chromium renders it (tests/journey/artifacts/offload-report.png)"

# --- the copy's ASC MHL history covers the report -----------------------------------------------
out=$("$bin" verify "$tmp/raid/arri" 2>&1) || fail "verify: $out"
grep -q "$((nfiles + 3)) verified, 0 new, 0 changed, 0 missing" <<<"$out" || fail "the report is in the history: $out"
out=$("$bin" verify "$tmp/shuttle/arri" --register "$url" 2>&1) || fail "verify --register: $out"
grep -q "$((nfiles + 3)) verified, 0 new" <<<"$out" && ! grep -q "knows no copy" <<<"$out" ||
	fail "verify --register reports the card's files only: $out"
printf 'x' >>"$tmp/shuttle/arri/$stem.pdf"
if out=$("$bin" verify "$tmp/shuttle/arri" 2>&1); then fail "a changed report passed: $out"; fi
grep -q "$stem.pdf" <<<"$out" || fail "verify names the changed report: $out"
ok "setpost verify checks the report with the card ($((nfiles + 3)) files) and catches a changed one; --register leaves it out of the card"

# --- a run that verified nothing leaves the copy alone; one that re-read it (--rehash) adds its
# own report and never rewrites the first ---------------------------------------------------------
sum1=$(sha256sum "$tmp/raid/arri/$stem.pdf")
"$bin" offload "$tmp/cards/arri" --to "$tmp/raid" --no-progress >"$tmp/off0.out" 2>&1 ||
	fail "resumed offload: $(cat "$tmp/off0.out")"
! grep -q "offload report" "$tmp/off0.out" || fail "a run that verified nothing writes no report: $(cat "$tmp/off0.out")"
"$bin" offload "$tmp/cards/arri" --to "$tmp/raid" --rehash --no-progress >"$tmp/off2.out" 2>&1 ||
	fail "resumed offload: $(cat "$tmp/off2.out")"
stem2=$(sed -n 's/^offload report: \(arri_offload_[0-9_]*Z\)\.pdf.*/\1/p' "$tmp/off2.out")
[ -n "$stem2" ] && [ "$stem2" != "$stem" ] || fail "a second report: $(cat "$tmp/off2.out")"
[ "$(sha256sum "$tmp/raid/arri/$stem.pdf")" = "$sum1" ] || fail "the first report was rewritten"
pdftotext -layout "$tmp/raid/arri/$stem2.pdf" - | grep -q "Safe to format: NO, one copy only" ||
	fail "one destination, no server: $(pdftotext -layout "$tmp/raid/arri/$stem2.pdf" - | head -30)"
out=$("$bin" verify "$tmp/raid/arri" 2>&1) || fail "verify after the second run: $out"
grep -q "$((nfiles + 6)) verified, 0 new, 0 changed" <<<"$out" || fail "both reports verified: $out"
ok "a resumed offload that verified nothing writes no report; a --rehash run to one copy adds $stem2 (no server, one copy: 'Safe to format: NO'), the first stays as recorded"

# --- an offload job run by a worker writes it too ------------------------------------------------
"$bin" volume add cards "$tmp/cards" >/dev/null
cli_worker "$tmp/worker" --slots 1 --data "$tmp/data" --outbound-allow 127.0.0.1/32
cli_offload_job "{\"source\":\"$tmp/cards/sound/SR001\",\"destinations\":[\"$tmp/raid\",\"$tmp/shuttle\"],\"production\":\"Night Feature\",\"day\":\"2026-11-25\"}"
j=$got
jstem=$(jq -r '.result.report.name' <<<"$j")
[[ $jstem == SR001_offload_* && $(jq -r '.result.report.copies' <<<"$j") == 2 ]] || fail "job result names the report: $j"
pdftotext -layout "$tmp/shuttle/SR001/$jstem.pdf" "$tmp/job.txt"
for want in "SR001 (sound roll)" "Operator" "cart" "Safe to format: YES"; do
	grep -qF "$want" "$tmp/job.txt" || fail "job report lacks '$want': $(head -30 "$tmp/job.txt")"
done
out=$("$bin" verify "$tmp/shuttle/SR001" 2>&1) || fail "verify the job's copy: $out"
ok "an offload job writes the report into both copies (operator: the account that asked), recorded in their histories"

# --- the API serves the card's report from the database ------------------------------------------
card=$(api "/api/v1/cards" | jq -r '.items[] | select(.label == "arri") | .id')
[[ $card =~ ^[0-9]+$ ]] || fail "card id: $card"
r=$(get "/api/v1/cards/$card/report?format=pdf&paper=letter" "$tmp/api.pdf")
[[ $r == "200 application/pdf" ]] || fail "pdf: $r $(head -c 300 "$tmp/api.pdf")"
pdfinfo "$tmp/api.pdf" | grep -q "Page size: *792 x 612 pts" || fail "letter"
pdftotext -layout "$tmp/api.pdf" "$tmp/api.txt"
for want in "Offload report" "Night Feature" "Registered (UTC)" "Latest check (UTC)" "Safe to format: YES"; do
	grep -qF "$want" "$tmp/api.txt" || fail "the API's PDF lacks '$want': $(head -30 "$tmp/api.txt")"
done
r=$(get "/api/v1/cards/$card/report?format=csv" "$tmp/api.csv")
[[ $r == "200 text/csv; charset=utf-8" ]] || fail "csv: $r"
python3 - "$tmp/api.csv" "$tmp/raid/arri/$stem.csv" <<'PY' || fail "the API's CSV and the copy's differ"
import csv, sys
def key(p):
    rows = list(csv.reader(open(p, newline='')))[1:]
    return sorted((r[2], r[3], r[5], r[8]) for r in rows)
a, b = key(sys.argv[1]), key(sys.argv[2])
assert a == b, (a[:3], b[:3])
PY
# A later copy made from a copy (the RAID to another drive) carries the reports along; they are
# no file of the card.
"$bin" offload "$tmp/raid/arri" --to "$tmp/single" --register "$url" --production "Night Feature" \
	--day 2026-11-25 --no-progress >"$tmp/off3.out" 2>&1 || fail "offload from the copy: $(cat "$tmp/off3.out")"
[ -s "$tmp/single/arri/$stem.pdf" ] || fail "the earlier report travels with the copy"
# (The source copy's own ascmhl/ files are registered as files of the card, as offload does for
# any card carrying a history; the reports are not.)
hist=$(ls "$tmp/raid/arri/ascmhl" | wc -l)
k=$(api "/api/v1/cards/$card")
[[ $(jq -r .files <<<"$k") == "$((nfiles + hist))" ]] && ! jq -r '.why_not[]' <<<"$k" | grep -q "_offload_" ||
	fail "the card's files: $(jq -c '{files, why_not}' <<<"$k")"
r=$(get "/api/v1/cards/999999/report" "$tmp/bad.json")
[[ $r == 404* ]] && jq -e '.error.code and .error.message' "$tmp/bad.json" >/dev/null || fail "no such card: $r"
r=$(get "/api/v1/cards/$card/report?format=docx" "$tmp/bad.json")
[[ $r == 400* ]] && jq -e '.error.code and .error.message' "$tmp/bad.json" >/dev/null || fail "bad format: $r"
ok "GET /api/v1/cards/{id}/report: the same files, sizes, hashes and states as the copy's CSV; 404 and 400 as JSON"

# --- the shuttle drive: marked as one, its report lists exactly what is on it ---------------------
vid=$(api "/api/v1/volumes" | jq -r '.items[] | select(.name == "shuttle") | .id')
[[ $vid =~ ^[0-9]+$ ]] || fail "the shuttle volume: $(api /api/v1/volumes)"
r=$(curl -s -X PATCH -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
	-d '{"kind":"shuttle"}' -o "$tmp/patch.json" -w '%{http_code}' "$url/api/v1/volumes/$vid")
[[ $r == 200 && $(jq -r .kind "$tmp/patch.json") == shuttle ]] || fail "mark as shuttle: $r $(cat "$tmp/patch.json")"
r=$(curl -s -X PATCH -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
	-d '{"kind":"boat"}' -o "$tmp/bad.json" -w '%{http_code}' "$url/api/v1/volumes/$vid")
[[ $r == 400 ]] && jq -e '.error.code' "$tmp/bad.json" >/dev/null || fail "a bad kind: $r"
[[ $(api "/api/v1/volumes" | jq -r ".items[] | select(.id == $vid) | .kind") == shuttle ]] || fail "a refused change changed it"
r=$(get "/api/v1/volumes/$vid/report?format=csv" "$tmp/shuttle.csv")
[[ $r == "200 text/csv; charset=utf-8" ]] || fail "shuttle csv: $r $(head -c 300 "$tmp/shuttle.csv")"
(cd "$tmp/shuttle" && find . -type f ! -path '*/ascmhl/*' | sed 's|^\./||' | while read -r f; do
	report_name=$(basename "$f")
	[[ $report_name == *_offload_*Z.pdf || $report_name == *_offload_*Z.html || $report_name == *_offload_*Z.csv ]] || echo "$f"
done | sort) >"$tmp/on-shuttle"
python3 - "$tmp/shuttle.csv" "$tmp/on-shuttle" <<'PY' || fail "the shuttle's CSV and the drive differ"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
head, body = rows[0], rows[1:]
assert head == ['card', 'path', 'size', 'hashes', 'state', 'checked_at', 'checked_by', 'error'], head
on = open(sys.argv[2]).read().split('\n')
on = sorted(x for x in on if x)
assert sorted(r[1] for r in body) == on, (sorted(r[1] for r in body), on)
assert {r[0] for r in body} == {'arri', 'SR001'}, {r[0] for r in body}
assert all(r[4] == 'verified' and r[3].startswith('xxh64:') for r in body), body[:2]
assert any(r[0] == 'arri' and r[6].endswith('(verify)') for r in body), body[:2]
PY
r=$(get "/api/v1/volumes/$vid/report?format=pdf" "$tmp/shuttle.pdf")
[[ $r == "200 application/pdf" ]] || fail "shuttle pdf: $r"
pdftotext -layout "$tmp/shuttle.pdf" "$tmp/shuttle.txt"
for want in "Shuttle drive report" "Cards on this volume" "arri" "SR001" "Every copy on this volume verified"; do
	grep -qF "$want" "$tmp/shuttle.txt" || fail "the shuttle PDF lacks '$want': $(head -30 "$tmp/shuttle.txt")"
done
day=$(api "/api/v1/days" | jq -r '.items[0].id')
get "/api/v1/days/$day/report?format=pdf" "$tmp/day.pdf" >/dev/null
pdftotext -layout "$tmp/day.pdf" - | grep -E "^ *shuttle +(arri, SR001|SR001, arri)" >/dev/null ||
	fail "the day report names the shuttle and its cards: $(pdftotext -layout "$tmp/day.pdf" - | grep -A4 'Shuttle drives')"
ok "a volume marked shuttle (PATCH, a bad kind refused): its report lists exactly the card files on the drive with hashes and latest checks; the day report says which shuttle carries which cards"

# --- report.ready: on the event list the dashboard reads, and at the webhook ----------------------
r=$(curl -s -X POST -H "Authorization: Bearer $admin" -o "$tmp/wrap.json" -w '%{http_code}' "$url/api/v1/days/$day/wrap")
[[ $r == 200 ]] || fail "wrap: $r $(cat "$tmp/wrap.json")"
ev=$(api "/api/v1/events?limit=200")
jq -e --arg c "/api/v1/cards/$card/report" '[.items[] | select(.kind == "report.ready" and .data.url == $c and .data.report == "offload")] | length >= 1' <<<"$ev" >/dev/null ||
	fail "report.ready for the card on the event list: $(jq -c '[.items[] | select(.kind == "report.ready")]' <<<"$ev")"
jq -e --arg d "/api/v1/days/$day/report" '[.items[] | select(.kind == "report.ready" and .data.url == $d)] | length == 1' <<<"$ev" >/dev/null ||
	fail "report.ready for the wrapped day: $(jq -c '[.items[] | select(.kind == "report.ready")]' <<<"$ev")"
for _ in $(seq 150); do grep -q "/api/v1/days/$day/report" "$tmp/hooks" && break; sleep 0.2; done
grep '"report.ready"' "$tmp/hooks" | grep -q "/api/v1/cards/$card/report" || fail "the webhook got the card's report.ready: $(cat "$tmp/hooks")"
grep '"report.ready"' "$tmp/hooks" | grep -q "/api/v1/days/$day/report" || fail "the webhook got the day's report.ready: $(cat "$tmp/hooks")"
r=$(curl -s -H "Authorization: Bearer $admin" -H "Content-Type: application/json" -o "$tmp/bad.json" -w '%{http_code}' \
	-d "{\"url\":\"http://127.0.0.1:$port/x\",\"events\":[\"report.readyy\"]}" "$url/api/v1/webhooks")
[[ $r == 400 ]] || fail "an unknown event name: $r"
ok "report.ready (the card's report at registration, the day's at wrap) on the event list and at a webhook, with the report's URL"

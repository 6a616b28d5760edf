#!/usr/bin/env bash
# The shooting-day report, reached as production and post reach it: cards offloaded from the
# command line (one on two distinct volumes, one on a single disk), then the day's report
# fetched over HTTP as PDF (A4 and US Letter), HTML and CSV, and read with other tools:
# pdfinfo/pdftotext (poppler), Debian's Chromium, Python's csv module; compared with the API.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
for tool in pdfinfo pdftotext pdfimages chromium; do
	command -v "$tool" >/dev/null || fail "$tool is needed (make deps installs it)"
done
cli_need_root "the day report of a day with a card safe to format"
cli_journey journey_reports
on_fail() { tail -n 5 "$tmp/serve.log" >&2 2>/dev/null || true; }
bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1
cli_serve "$tmp/serve" --data "$tmp/data"
admin=$("$bin" token create --role admin --name cart | tail -n 1)
editor=$("$bin" token create --role editor --name cutting-room | tail -n 1)
export SETPOST_TOKEN=$admin
get() { curl -s -H "Authorization: Bearer $1" -o "$3" -w '%{http_code} %{content_type}' "$url$2"; }

mkdir -p "$tmp/single"
cli_mount "$tmp/raid" 96m || fail "mount raid"
cli_mount "$tmp/shuttle" 96m || fail "mount shuttle"
"$bin" offload "$tmp/cards/arri" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
	--production "Night Feature" --day 2026-11-25 --no-progress >"$tmp/off1.out" 2>&1 ||
	fail "offload arri: $(cat "$tmp/off1.out")"
grep -q "safe to format: YES" "$tmp/off1.out" || fail "two volumes must be safe: $(cat "$tmp/off1.out")"
"$bin" offload "$tmp/cards/sound/SR001" --to "$tmp/single" --register "$url" \
	--production "Night Feature" --day 2026-11-25 --no-progress >"$tmp/off2.out" 2>&1 ||
	fail "offload sound: $(cat "$tmp/off2.out")"
# A worker probes the clips and makes their thumbnails (first, middle and last frames), which
# the report shows beside each clip.
cli_worker "$tmp/worker" --slots 2 --data "$tmp/data"
arri=$(curl -s -H "Authorization: Bearer $admin" "$url/api/v1/clips?limit=200" | jq -r '.items[] | select(.name | startswith("A001C")) | .id')
for c in $arri; do
	for _ in $(seq 600); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $admin" "$url/api/v1/clips/$c/thumbnails/8.jpg")
		[ "$code" = 200 ] && break
		sleep 0.2
	done
	[ "$code" = 200 ] || fail "clip $c has no thumbnails after 120 s: $(tail -n 5 "$tmp/worker.log")"
done
day=$(curl -s -H "Authorization: Bearer $admin" "$url/api/v1/days" | jq -r '.items[0].id')
[[ $day =~ ^[0-9]+$ ]] || fail "no day: $day"
clips=$(curl -s -H "Authorization: Bearer $admin" "$url/api/v1/clips?limit=200" | jq -r '.items[].name' | sort)
[ "$(wc -l <<<"$clips")" -ge 4 ] || fail "clips: $clips"
ok "two cards offloaded from the command line: one on two volumes, one on a single disk"

# --- PDF: the header, every clip, the verdicts, read back by poppler -----------------------------
r=$(get "$admin" "/api/v1/days/$day/report?format=pdf" "$tmp/day.pdf")
[[ $r == "200 application/pdf" ]] || fail "pdf: $r $(head -c 300 "$tmp/day.pdf")"
pdfinfo "$tmp/day.pdf" >"$tmp/pdfinfo.txt" || fail "pdfinfo refuses the PDF"
grep -q "Page size: *841.89 x 595.276 pts (A4)" "$tmp/pdfinfo.txt" || fail "A4 by default: $(cat "$tmp/pdfinfo.txt")"
pdftotext -layout "$tmp/day.pdf" "$tmp/day.txt"
for want in "Shooting day report" "Night Feature" "2026-11-25" "Safe to format: 1 of 2 cards and rolls" \
	"SR001 is not safe to format" "Cards and sound rolls" "Clips by camera and scene" "QC findings" \
	"Deliveries to the post house" "Still missing" "page 1 of"; do
	grep -qF "$want" "$tmp/day.txt" || fail "the PDF lacks '$want': $(head -40 "$tmp/day.txt")"
done
# A name that wraps inside its column: -raw keeps a cell's lines together (the layout mode
# interleaves them with the next columns'), then spaces and line ends are taken out.
pdftotext -raw "$tmp/day.pdf" - | tr -d ' \n' >"$tmp/day.flat"
while read -r c; do
	grep -qF "$c" "$tmp/day.flat" || fail "the PDF lacks clip $c"
done <<<"$clips"
grep -q "A001" "$tmp/day.txt" && grep -q "YES" "$tmp/day.txt" || fail "the safe card's verdict"
n=$(pdfimages -list "$tmp/day.pdf" | awk 'NR > 2 && $9 == "jpeg"' | wc -l)
[ "$n" -eq $((3 * $(wc -w <<<"$arri"))) ] || fail "3 JPEG thumbnails per ARRI clip, embedded as JPEG: $n $(pdfimages -list "$tmp/day.pdf" | head -5)"
ok "PDF (A4): header, verdict 'Safe to format: 1 of 2', every clip of the API, why SR001 is not safe, 3 thumbnails per picture clip"

r=$(get "$editor" "/api/v1/days/$day/report?format=pdf&paper=letter" "$tmp/letter.pdf")
[[ $r == "200 application/pdf" ]] || fail "letter: $r"
pdfinfo "$tmp/letter.pdf" | grep -q "Page size: *792 x 612 pts" || fail "letter: $(pdfinfo "$tmp/letter.pdf")"
ok "an editor gets the report on US Letter"

# --- HTML: self-contained, renders in Chromium ----------------------------------------------------
r=$(get "$admin" "/api/v1/days/$day/report?format=html" "$tmp/day.html")
[[ $r == "200 text/html; charset=utf-8" ]] || fail "html: $r"
outside=$(grep -Eio '(src|href)="[^"]{0,22}|url\(|@import|<script' "$tmp/day.html" | grep -v '^src="data:image/jpeg;base64' || true)
[ -z "$outside" ] || fail "the page loads something: $(head -3 <<<"$outside")"
[ "$(grep -o 'src="data:image/jpeg;base64' "$tmp/day.html" | wc -l)" -eq $((3 * $(wc -w <<<"$arri"))) ] ||
	fail "thumbnails inlined in the page"
while read -r c; do grep -qF "$c" "$tmp/day.html" || fail "the page lacks clip $c"; done <<<"$clips"
grep -q "Safe to format: 1 of 2 cards and rolls" "$tmp/day.html" || fail "html verdict"
cli_screenshot "$tmp/day.html" day-report.png
ok "HTML: thumbnails inlined, nothing loaded from elsewhere, every clip, the verdict; Chromium renders it (tests/journey/artifacts/day-report.png)"

# --- CSV: one row per file and copy, as the API counts them --------------------------------------
r=$(get "$admin" "/api/v1/days/$day/report?format=csv" "$tmp/day.csv")
[[ $r == "200 text/csv; charset=utf-8" ]] || fail "csv: $r"
want=0
for card in $(curl -s -H "Authorization: Bearer $admin" "$url/api/v1/cards?day_id=$day" | jq -r '.items[].id'); do
	n=$(curl -s -H "Authorization: Bearer $admin" "$url/api/v1/cards/$card" | jq -r '.files')
	copies=$([ "$(curl -s -H "Authorization: Bearer $admin" "$url/api/v1/cards/$card" | jq -r .label)" = SR001 ] && echo 1 || echo 2)
	want=$((want + n * copies))
done
python3 - "$tmp/day.csv" "$want" <<'PY' || fail "csv: $(head -5 "$tmp/day.csv")"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
head, body = rows[0], rows[1:]
assert head == ['card', 'clip', 'file', 'size', 'role', 'hash', 'volume', 'media', 'copy_path',
                'copy_state', 'verified_at'], head
assert len(body) == int(sys.argv[2]), (len(body), sys.argv[2])
assert all(r[9] == 'verified' and r[5].startswith('xxh64:') for r in body), body[:2]
PY
ok "CSV: one row per file and copy ($want), every copy verified with its xxh64"

# --- refusals: one JSON error each ---------------------------------------------------------------
r=$(get "$admin" "/api/v1/days/$day/report?format=docx" "$tmp/bad.json")
[[ $r == 400* ]] && jq -e '.error.code and .error.message' "$tmp/bad.json" >/dev/null || fail "bad format: $r"
r=$(get "$admin" "/api/v1/days/$day/report?paper=a3" "$tmp/bad.json")
[[ $r == 400* ]] || fail "bad paper: $r"
r=$(get "$admin" "/api/v1/days/99999/report" "$tmp/bad.json")
[[ $r == 404* ]] && jq -e '.error.code == "not_found"' "$tmp/bad.json" >/dev/null || fail "no such day: $r"
r=$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/days/$day/report")
[[ $r == 401 ]] || fail "without a token: $r"
ok "a bad format or paper is 400, an unknown day 404, no token 401"
echo "reports.sh: all passed"

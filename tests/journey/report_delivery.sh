#!/usr/bin/env bash
# Reports travel to the post house with the dailies: a delivery rule of what "reports"
# (`setpost rules add --what reports`) sends each card's offload report when the card is
# registered and the day's report when the day is wrapped, as PDF, HTML and CSV, encrypted with
# age on the way, to a second `setpost serve` acting as the post house, whose GET
# /api/v1/arrivals lists them verified. The PDF the post house holds is read with pdftotext.
#   tests/journey/report_delivery.sh build/setpost
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_need_root "reports delivered to a post house"
cli_need_tools "reports delivered to a post house" pdftotext xxhsum jq
cli_tmp repdel
on_fail() { tail -n 15 "$tmp/worker.log" >&2 2>/dev/null || true; }
bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1

cli_post_house
cli_site cart --outbound-allow 127.0.0.1/32
cart=$url
export SETPOST_DATABASE_URL=$CLI_DB SETPOST_URL=$cart
export SETPOST_TOKEN=$("$bin" token create --role admin --name dit | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" "$cart$@"; }
papi() { curl -s -H "Authorization: Bearer $post_token" "$post$@"; }
cli_mount "$tmp/raid" 96m || fail "mount raid"
cli_mount "$tmp/shuttle" 96m || fail "mount shuttle"
offload() {
	"$bin" offload "$tmp/cards/$1" --to "$tmp/raid" --to "$tmp/shuttle" --register "$cart" \
		--production Feature --day 2026-12-07 --no-progress >"$tmp/off-$1.out" 2>&1 ||
		fail "offload $1: $(cat "$tmp/off-$1.out")"
}

# The first card makes the production; then the post house as its target, and the rule.
offload arri
target=$(api /api/v1/targets -d "{\"production_id\":1,\"name\":\"Post\",\"url\":\"$post/api/v1/uploads/\",
	\"recipient\":\"$recipient\",\"headers\":{\"Authorization\":\"Bearer $post_token\"}}" | jq -r .id)
[[ $target =~ ^[0-9]+$ ]] || fail "target: $target"
out=$("$bin" rules add --target "$target" --what reports 2>&1) || fail "rules add: $out"
grep -q "reports	Post (target $target)	-	enabled" <<<"$out" || fail "rules add: $out"
ok "setpost rules add --what reports: $(tr '\t' ' ' <<<"$out")"

# A card registered now: its offload report goes, in three forms.
offload sony
cli_worker "$tmp/worker" --slots 2 --data "$tmp/cart" --outbound-allow 127.0.0.1/32
want='[.items[] | select(.card == "sony" and (.filename | test("^sony_offload_[0-9]{8}_[0-9]{6}Z\\.(pdf|html|csv)$")))] | length == 3'
cli_until 120 "$want" papi "/api/v1/arrivals?limit=500" ||
	fail "the offload report did not arrive: $(jq -c '[.items[] | [.card, .filename]]' <<<"$got") $(api /api/v1/deliveries | jq -c '[.items[] | [.id, .state, .error]]')"
arr=$got
pdf=$(jq -r '.items[] | select(.card == "sony" and (.filename | endswith(".pdf"))) | .path' <<<"$arr")
[ -f "$pdf" ] || pdf=$(find "$tmp/post" -name "$(basename "$pdf")" | head -n 1)
[ -f "$pdf" ] || fail "the arrived PDF is not on the post house's disk: $(jq -c . <<<"$arr")"
[[ $(xxhsum -H1 "$pdf" | cut -d' ' -f1) == $(jq -r '.items[] | select(.card == "sony" and (.filename | endswith(".pdf"))) | .xxh64' <<<"$arr") ]] ||
	fail "the arrived PDF's xxh64 is not the one sent"
pdftotext -layout "$pdf" "$tmp/arr.txt"
for want in "Offload report" "Feature" "2026-12-07" "sony (camera card)" "A004C002_250103J4" "Safe to format: YES"; do
	grep -qF "$want" "$tmp/arr.txt" || fail "the arrived offload report lacks '$want': $(head -30 "$tmp/arr.txt")"
done
# The cart: three deliveries (one per form), delivered on the post house's receipt.
until_api 60 '[.items[] | select(.state == "delivered")] | length == 3' /api/v1/deliveries ||
	fail "deliveries: $(jq -c '[.items[] | [.id, .state, .error]]' <<<"$got")"
jq -e '.items | length == 3' <<<"$got" >/dev/null || fail "one delivery per form: $(jq -c '[.items[] | [.id, .state]]' <<<"$got")"
ok "the card's offload report arrived at the post house as PDF, HTML and CSV, verified (GET /api/v1/arrivals), its PDF readable there"
jq -e '[.items[] | select(.filename | startswith("arri_offload"))] | length == 0' <<<"$arr" >/dev/null ||
	fail "the card registered before the rule was sent: $(jq -c '[.items[].filename]' <<<"$arr")"
ok "the card registered before the rule existed is not sent (a rule sends what is made from then on)"

# The day wrapped: its report goes too, filed under reports/.
day=$(api /api/v1/days | jq -r '.items[0].id')
code=$(curl -s -o "$tmp/wrap.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $SETPOST_TOKEN" "$cart/api/v1/days/$day/wrap")
[[ $code == 200 ]] || fail "wrap: $code $(cat "$tmp/wrap.json")"
want='[.items[] | select(.card == "reports" and (.filename | test("^2026-12-07_day_report_[0-9]{8}_[0-9]{6}Z\\.(pdf|html|csv)$")))] | length == 3'
cli_until 120 "$want" papi "/api/v1/arrivals?limit=500" ||
	fail "the day report did not arrive: $(jq -c '[.items[] | [.card, .filename]]' <<<"$got")"
pdf=$(jq -r '.items[] | select(.card == "reports" and (.filename | endswith(".pdf"))) | .path' <<<"$got")
[ -f "$pdf" ] || pdf=$(find "$tmp/post" -name "$(basename "$pdf")" | head -n 1)
pdftotext -layout "$pdf" - | grep -qF "Shooting day report" || fail "the arrived day report"
ok "the wrapped day's report arrived too (PDF, HTML, CSV under reports/), verified and readable"

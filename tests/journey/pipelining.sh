#!/usr/bin/env bash
# Per-clip pipelining (issue 15), through the CLI and the HTTP API only: `setpost offload
# --register` registers each clip as soon as its files are verified on both destinations, so
# the cart's worker probes and proxies it while the rest of the card is still copying; the card
# is never safe to format before its whole registration, even when every clip registered so far
# is secured, nor after an offload killed half way; a later offload of a card registered whole
# never makes it unsafe again. QC and thumbnails (behind the proxies) still run to the end.
# Deterministic, no timing: the sanitizer build's test hook SETPOST_OFFLOAD_TEST_GATE holds the
# card's last file until the test has seen the first clip proxied.
#   tests/journey/pipelining.sh build/setpost-asan
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
what="a clip proxied while its card is still copying, the card safe only when whole"
[ "$(id -u)" -eq 0 ] || { skip "$what" "need root to mount two tmpfs volumes"; exit 0; }
for tool in ffmpeg jq curl; do
	command -v "$tool" >/dev/null || { skip "$what" "$tool is missing"; exit 0; }
done
cli_tmp pipelining
cli_db pipelining
export SETPOST_DATABASE_URL=$CLI_DB
cli_serve "$tmp/serve" --data "$tmp/data"
cart=$url
export SETPOST_TOKEN=$("$bin" token create --role admin --name dit | tail -n 1)
"$bin" worker --slots 2 --data "$tmp/data" >"$tmp/worker.out" 2>"$tmp/worker.log" &
cli_track $!
on_fail() { tail -n 15 "$tmp/worker.log" "$tmp"/offload-*.out >&2 2>/dev/null || true; }
cli_mount "$tmp/raid" || fail "tmpfs on $tmp/raid"
cli_mount "$tmp/shuttle" || fail "tmpfs on $tmp/shuttle"
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" "$cart$@"; }
card_row() { api /api/v1/cards | jq -c ".items[] | select(.label == \"$1\")"; }

# Two cards of two real ProRes clips each (2 s, 320x180, timecode).
for card in A001R1AB B001R1AB; do
	mkdir -p "$tmp/cards/$card"
	for n in 1 2; do
		ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi \
			-i "testsrc2=s=320x180:r=25:d=2" -c:v prores_ks -profile:v 0 -timecode 01:00:0$n:00 \
			"$tmp/cards/$card/${card:0:4}C00${n}_261207_R1AB.mov"
	done
done
offload() { # CARD [env...]: in the background; $off is its pid
	local card=$1; shift
	env "$@" "$bin" offload "$tmp/cards/$card" --to "$tmp/raid" --to "$tmp/shuttle" \
		--register "$cart" --production Pipe --day 2026-12-07 --no-progress --no-report \
		--verbose >"$tmp/offload-$card.out" 2>&1 &
	off=$!
	cli_track "$off"
}

# 1. The card's last file waits at the gate: the first clip is registered, probed and proxied.
offload A001R1AB SETPOST_OFFLOAD_TEST_GATE="$tmp/gate-A"
until_api 180 '[.items[] | select(.clip == "A001C001_261207_R1AB" and .state == "done")] | length >= 1' \
	/api/v1/renditions || fail "the first clip was not proxied while the card copied: $got"
kill -0 "$off" 2>/dev/null || fail "the offload ended before its gate: $(cat "$tmp/offload-A001R1AB.out")"
grep -q "registered clip A001C001_261207_R1AB" "$tmp/offload-A001R1AB.out" ||
	fail "no part for the first clip: $(cat "$tmp/offload-A001R1AB.out")"
names=$(api "/api/v1/clips?limit=100" | jq -r '[.items[].name] | sort | join(",")')
[[ $names == A001C001_261207_R1AB ]] || fail "clips the server knows while the card copies: $names"
ok "the first clip is registered and proxied while the rest of its card is still copying"

# 2. Every clip registered so far is secured, yet the card is not safe to format.
row=$(card_row A001R1AB)
jq -e '.offloading == true and .safe_to_format == false and .safe_to_clear == false and
	(.why_not | length == 1) and (.why_not[0] | test("still being offloaded"))' <<<"$row" >/dev/null ||
	fail "a card in parts: $row"
state=$(api "/api/v1/clips?limit=100" | jq -r '.items[0].state')
[[ $state != registered && $state != copy_failed ]] || fail "the first clip's state: $state"
# Today says the same (its verdicts come from another query: they once disagreed).
today=$(api "/api/v1/days/$(api /api/v1/days | jq -r '.items[0].id')/cards" | jq -c '.cards[] | select(.label == "A001R1AB")')
jq -e '.safe_to_format == false and (.why_not[0] | test("still being offloaded"))' <<<"$today" >/dev/null ||
	fail "Today's card in parts: $today"
ok "a card registered in parts is not safe to format, in GET /cards and on Today ($(jq -c .why_not <<<"$row"))"

# 3. The last file goes: the whole card is registered, then safe; its second clip proxied too.
touch "$tmp/gate-A"
wait "$off" || fail "offload: $(cat "$tmp/offload-A001R1AB.out")"
grep -q "safe to format: YES" "$tmp/offload-A001R1AB.out" || fail "offload: $(cat "$tmp/offload-A001R1AB.out")"
grep -q "2 clip(s) were registered as soon as they were verified" "$tmp/offload-A001R1AB.out" ||
	fail "parts said: $(cat "$tmp/offload-A001R1AB.out")"
! grep -q "already registered" "$tmp/offload-A001R1AB.out" || fail "the whole card after its parts is no re-registration"
row=$(card_row A001R1AB)
jq -e '.offloading == false and .safe_to_format == true and .why_not == [] and .clips == 2' <<<"$row" >/dev/null ||
	fail "the whole card: $row"
until_api 180 '[.items[] | select(.state == "done")] | length == 2' /api/v1/renditions ||
	fail "both clips proxied: $got"
ok "the whole card's registration ends the parts: safe to format YES, both clips proxied"

# 4. Killed half way: the parts stay parts, never safe; the offload run again completes it.
offload B001R1AB SETPOST_OFFLOAD_TEST_GATE="$tmp/gate-B"
until_api 120 '[.items[] | select(.name == "B001C001_261207_R1AB")] | length == 1' "/api/v1/clips?limit=100" ||
	fail "card B's first clip: $got"
kill -9 "$off"
wait "$off" 2>/dev/null || true
row=$(card_row B001R1AB)
jq -e '.offloading == true and .safe_to_format == false and .clips == 1' <<<"$row" >/dev/null ||
	fail "a card whose offload was killed after one part: $row"
offload B001R1AB
wait "$off" || fail "offload again: $(cat "$tmp/offload-B001R1AB.out")"
grep -q "safe to format: YES" "$tmp/offload-B001R1AB.out" || fail "offload again: $(cat "$tmp/offload-B001R1AB.out")"
ok "an offload killed after one part leaves its card not safe; run again, the card is whole and safe"

# 5. Card A offloaded again (every copy verified earlier): its parts never reopen it.
offload A001R1AB
wait "$off" || fail "A again: $(cat "$tmp/offload-A001R1AB.out")"
grep -q "safe to format: YES" "$tmp/offload-A001R1AB.out" || fail "A again: $(cat "$tmp/offload-A001R1AB.out")"
n=$(api "/api/v1/events?kind=card.unsafe&limit=100" | jq '.items | length')
[[ $n == 0 ]] || fail "card.unsafe recorded $n time(s): $(api "/api/v1/events?kind=card.unsafe" | jq -c .items)"
jq -e '.offloading == false and .safe_to_format == true' <<<"$(card_row A001R1AB)" >/dev/null ||
	fail "card A after a second offload: $(card_row A001R1AB)"
ok "a card registered whole, offloaded again clip by clip, stays safe (no card.unsafe)"

# 6. Analysis behind the proxies still runs to the end: QC and thumbnails of all four clips.
until_api 300 '[.items[] | select(.state == "done")] | length == 4' "/api/v1/jobs?kind=qc&limit=100" ||
	fail "QC: $(jq -c '[.items[] | {state, last_error}]' <<<"$got")"
until_api 120 '[.items[] | select(.state == "done")] | length == 4' "/api/v1/jobs?kind=thumbnails&limit=100" ||
	fail "thumbnails: $(jq -c '[.items[] | {state, last_error}]' <<<"$got")"
tp=$(api "/api/v1/jobs?kind=transcode&limit=100" | jq '[.items[].priority] | min')
qp=$(api "/api/v1/jobs?kind=qc&limit=100" | jq '[.items[].priority] | max')
hp=$(api "/api/v1/jobs?kind=thumbnails&limit=100" | jq '[.items[].priority] | max')
((tp > qp && tp > hp)) || fail "a transcode's priority $tp is not above QC ($qp) and thumbnails ($hp)"
ok "QC and thumbnails of every clip done, queued behind the proxies (priority $tp over $hp and $qp)"

#!/usr/bin/env bash
# Custody that never lies (issue 21), as a DIT meets it: a sound roll offloaded to two really
# distinct volumes and registered is safe to format; one byte flipped in one copy (size and
# mtime kept) and `setpost verify --register` makes the card not safe at once (API, event
# stream, webhook card.unsafe); `register` of the same copies does not make it safe again; the
# same `offload --register` re-copies the bad file (never skips it) and only that new verified
# copy makes the card safe again. Counts the faults tried and any false "verified" or "safe".
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_need_root "custody journey on two distinct volumes"
cli_journey journey_custody
on_fail() { tail -n 20 "$tmp/serve.log" "$tmp/worker.log" 2>/dev/null >&2 || true; }
faults=0 false_verified=0 false_safe=0

bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1
cli_mount "$tmp/raid" || fail "mount raid"
cli_mount "$tmp/shuttle" || fail "mount shuttle"

# The webhook receiver is on loopback, which setpost refuses to send to unless the operator
# allows it (issue 14): this cart allows 127.0.0.1 explicitly.
cli_serve "$tmp/serve" --data "$tmp/data" --outbound-allow 127.0.0.1/32
export SETPOST_TOKEN=$("$bin" token create --role admin --name cart | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url$1"; }
cli_worker "$tmp/worker" --slots 1 --data "$tmp/data" --outbound-allow 127.0.0.1/32

# A webhook receiver on loopback: every POST body is appended, one per line.
cli_hook "$tmp/hooks"
port=$hook_port
hook=$(curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" \
	-d "{\"url\":\"http://127.0.0.1:$port/hook\",\"events\":[\"card.unsafe\",\"copy.failed\"]}" \
	"$url/api/v1/webhooks")
[[ $(jq -r .id <<<"$hook") =~ ^[0-9]+$ ]] || fail "webhook for card.unsafe and copy.failed: $hook"

safe_of() { api "/api/v1/cards/$1" | jq -r .safe_to_format; }
offload() {
	"$bin" offload "$tmp/cards/sound/SR001" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
		--production Feature --day 2026-11-25 --no-progress 2>&1
}

# 1. Offload + register: safe.
out=$(offload)
grep -q "safe to format: YES" <<<"$out" || fail "offload to two volumes: $out"
card=$(api "/api/v1/cards" | jq -r '.items[] | select(.label == "SR001") | .id')
[[ $(safe_of "$card") == true ]] || fail "card $card safe after the offload"
ok "a sound roll offloaded to two distinct volumes and registered is safe to format"

# 2. One byte flipped in one copy, size and mtime kept: verify tells the server at once.
victim=$(cd "$tmp/shuttle/SR001" && find . -iname '*.wav' -size +1k | sort | head -n 1 | sed 's|^\./||')
[ -n "$victim" ] || fail "no wav on the copy"
f="$tmp/shuttle/SR001/$victim"
m=$(stat -c %y "$f")
size=$(stat -c %s "$f")
b=$(dd if="$f" bs=1 skip=$((size / 2)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "$(printf '\\%03o' $(((b + 1) % 256)))" | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
touch -d "$m" "$f"
[[ $(stat -c %s "$f") == "$size" && $(stat -c %y "$f") == "$m" ]] || fail "the flip kept size and mtime"
faults=$((faults + 1))

curl -s -N -H "Authorization: Bearer $SETPOST_TOKEN" "$url/api/v1/events/stream" >"$tmp/sse" 2>/dev/null &
cli_track $!
sleep 0.3
if "$bin" verify "$tmp/shuttle/SR001" --register "$url" >"$tmp/verify.out" 2>&1; then
	fail "verify must exit 1 on a changed file: $(cat "$tmp/verify.out")"
fi
# No waiting: the verdict is recorded before verify exits.
s=$(safe_of "$card")
[[ $s == false ]] || { false_safe=$((false_safe + 1)); fail "card still safe after a failed verify: $(api "/api/v1/cards/$card")"; }
grep -q "changed  $victim" "$tmp/verify.out" || fail "verify names the file: $(cat "$tmp/verify.out")"
grep -q "card SR001 (id $card): safe to format: no" "$tmp/verify.out" || fail "verify prints the verdict: $(cat "$tmp/verify.out")"
c=$(api "/api/v1/cards/$card")
jq -e --arg v "$victim" '[.clips[] | select(.state == "copy_failed" and (.state_reason | contains("xxh64")))] | length >= 1' <<<"$c" >/dev/null ||
	fail "the clip is copy_failed with the reason: $c"
ok "one flipped byte: setpost verify --register makes the card not safe at once, the clip copy_failed with the hashes"

for _ in $(seq 10); do grep -q "^event: card.unsafe" "$tmp/sse" && break; sleep 0.1; done
grep -q "^event: card.unsafe" "$tmp/sse" || fail "card.unsafe on the event stream within 1 s: $(cat "$tmp/sse")"
for _ in $(seq 10); do grep -q "^event: copy.failed" "$tmp/sse" && break; sleep 0.1; done
grep -q "^event: copy.failed" "$tmp/sse" || fail "copy.failed on the event stream: $(cat "$tmp/sse")"
ok "card.unsafe and copy.failed reach the event stream within one second"

for _ in $(seq 100); do grep -q '"card.unsafe"' "$tmp/hooks" && break; sleep 0.1; done
line=$(grep '"card.unsafe"' "$tmp/hooks" | head -n 1)
[ -n "$line" ] || fail "the webhook receiver got card.unsafe: $(cat "$tmp/hooks") $(api "/api/v1/webhooks/$(jq -r .id <<<"$hook")/deliveries")"
jq -e --arg v "$victim" '.data.copies[0].file == $v and (.data.copies[0].expected | length) > 0 and
	(.data.copies[0].found | length) > 0 and .data.copies[0].expected != .data.copies[0].found and
	(.data.copies[0].copy.path | endswith($v))' <<<"$line" >/dev/null ||
	fail "card.unsafe names the file, the copy, expected and found: $line"
ok "the webhook receiver gets card.unsafe with the file, the copy, expected and found hashes"

# 3. register of the same copies does not make it safe.
faults=$((faults + 1))
out=$("$bin" register "$tmp/raid/SR001" "$tmp/shuttle/SR001" --register "$url" --card SR001 --day 2026-11-25 \
	--production Feature 2>&1) || true
grep -q "safe to format: no" <<<"$out" || { false_safe=$((false_safe + 1)); fail "register made it safe: $out"; }
[[ $(safe_of "$card") == false ]] || { false_safe=$((false_safe + 1)); fail "API says safe after register"; }
st=$(api "/api/v1/cards/$card" | jq -r .why_not[0])
grep -q "$victim: 1 of 2" <<<"$st" || fail "why not names the file: $st"
ok "register of the copies (the history's latest check failed) does not make the card safe"

# 3b. The same registration sent by hand, claiming verified, with a date before the failure.
faults=$((faults + 1))
vkey=$(psql -tA "$SETPOST_DATABASE_URL" -c "SELECT v.fs_uuid FROM copies cp JOIN volumes v ON v.id = cp.volume_id WHERE cp.state = 'failed' LIMIT 1")
h=$(psql -tA "$SETPOST_DATABASE_URL" -c "SELECT h.value FROM hashes h JOIN files f ON f.id = h.file_id WHERE f.rel_path = '$victim' AND h.algorithm = 'xxh64'")
doc=$(jq -n --arg v "$victim" --arg k "$vkey" --arg h "$h" '{card:{label:"SR001"}, production:"Feature", day:"2026-11-25",
	files:[{path:$v, size:'"$size"', hashes:{xxh64:$h}}],
	copies:[{volume:{key:$k, name:"shuttle"}, path:"SR001", files:[{path:$v, state:"verified", verified_at:"2026-01-01T00:00:00Z", hashes:{xxh64:$h}}]}]}')
r=$(curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" -d "$doc" "$url/api/v1/offloads")
[[ $(jq -r .safe_to_format <<<"$r") == false && $(safe_of "$card") == false ]] ||
	{ false_safe=$((false_safe + 1)); fail "an older claim outweighed the failed check: $r"; }
ok "a registration dated before the failed check does not outweigh it"
# verify says nothing new; only the latest check counts.
[[ $(psql -tA "$SETPOST_DATABASE_URL" -c "SELECT count(*) FROM copies WHERE state = 'verified' AND rel_path = 'SR001/$victim' AND volume_id = (SELECT id FROM volumes WHERE fs_uuid = '$vkey')") == 0 ]] ||
	{ false_verified=$((false_verified + 1)); fail "the bad copy is listed verified"; }

# 4. The same offload again re-copies the bad file, and only then is the card safe.
faults=$((faults + 1))
out=$(offload)
grep -q "safe to format: YES" <<<"$out" || fail "offload again: $out"
cmp -s "$tmp/cards/sound/SR001/$victim" "$f" || { false_verified=$((false_verified + 1)); fail "the bad file was not re-copied: $out"; }
[[ $(safe_of "$card") == true ]] || fail "safe again once the new copy is verified"
"$bin" verify "$tmp/shuttle/SR001" --register "$url" >"$tmp/verify2.out" 2>&1 || fail "verify of the new copy: $(cat "$tmp/verify2.out")"
grep -q "safe to format: YES" "$tmp/verify2.out" || fail "verify of the new copy: $(cat "$tmp/verify2.out")"
ok "offload --register again re-copies the bad file (not skipped) and the card is safe only then"

# Every check is on record: who, when, which generation, what it found.
n=$(psql -tA "$SETPOST_DATABASE_URL" -c "SELECT string_agg(source || ':' || result || ':' || coalesce(generation::text, '-'), ',' ORDER BY v.checked_at, v.id) FROM verifications v JOIN copies cp ON cp.id = v.copy_id JOIN volumes vo ON vo.id = cp.volume_id WHERE cp.rel_path = 'SR001/$victim' AND vo.fs_uuid = '$vkey'")
# The copy's history: the offload's generation 1, its offload report's 2, then verify's 3.
grep -q "verify:failed:3" <<<"$n" && grep -q "register:failed" <<<"$n" && grep -q "verify:verified" <<<"$n" ||
	fail "the checks of the copy on record: $n"
ok "every check of the copy is recorded with its source, generation and result"

# The same card offloaded again: under its label it gets the copies (and says so); under another
# label it is refused, naming the card.
grep -q "already registered: these copies were added" <<<"$out" || fail "says the copies were added: $out"
mkdir -p "$tmp/raid/again"
if "$bin" offload "$tmp/cards/sound/SR001" --card SR009 --to "$tmp/raid/again" --register "$url" \
	--production Feature --day 2026-11-25 --no-progress >"$tmp/dup.out" 2>"$tmp/dup.err"; then
	fail "the same files under another label were registered: $(cat "$tmp/dup.out")"
fi
grep -q "409.*already registered as card SR001 (id $card" "$tmp/dup.err" || fail "names the card: $(cat "$tmp/dup.err")"
[[ $(api "/api/v1/cards" | jq '[.items[] | select(.label == "SR009")] | length') == 0 ]] || fail "SR009 was created"
ok "the same card under another label: 409 naming SR001; under its own label: copies added, said so"

# The list of cards carries each card's verdict; the production's rule is set from the CLI and
# the API and re-judges every card at once.
list() { api "/api/v1/cards" | jq -c --argjson id "$card" '.items[] | select(.id == $id) | [.safe_to_format, .why_not]'; }
[[ $(list) == '[true,[]]' ]] || fail "GET /cards carries the verdict: $(list)"
out=$("$bin" production copies 3 --production Feature 2>&1) || fail "production copies 3: $out"
grep -q "3 verified copies on distinct volumes required; 1 cards re-checked, 0 safe to format" <<<"$out" || fail "$out"
[[ $(list) == "[false,[\"$victim: 2 of 3 verified copies on distinct volumes\"]]" ]] ||
	[[ $(list | jq -r '.[0]') == false && $(list | jq -r '.[1] | length') -ge 1 ]] || fail "3 copies required: $(list)"
for _ in $(seq 100); do [[ $(grep -c '"card.unsafe"' "$tmp/hooks") -ge 2 ]] && break; sleep 0.1; done
[[ $(grep -c '"card.unsafe"' "$tmp/hooks") -ge 2 ]] || fail "raising the rule sends card.unsafe"
prod=$(api "/api/v1/productions" | jq -r '.items[] | select(.name == "Feature") | .id')
code=$(curl -s -o "$tmp/ans" -w "%{http_code}" -X PATCH -H "Authorization: Bearer $SETPOST_TOKEN" \
	-H "Content-Type: application/json" -d '{"required_copies":2}' "$url/api/v1/productions/$prod")
[[ $code == 200 && $(list) == '[true,[]]' ]] || fail "PATCH required_copies 2: $code $(cat "$tmp/ans") $(list)"
c=$(api "/api/v1/cards/$card" | jq -r '[.clips[].state] | unique | join(",")')
[[ $c != *copy_failed* && $c != registered ]] || fail "clips re-judged: $c"
ok "GET /cards carries safe_to_format and why_not; required copies set from the CLI and the API re-judge every card"

# A refused PATCH changes nothing: a valid required_copies beside an invalid name (empty) is
# not applied on its own, and no card is re-judged.
faults=$((faults + 1))
before=$(api "/api/v1/productions" | jq -c --argjson p "$prod" '.items[] | select(.id == $p) | [.name, .required_copies]')
code=$(curl -s -o "$tmp/ans" -w "%{http_code}" -X PATCH -H "Authorization: Bearer $SETPOST_TOKEN" \
	-H "Content-Type: application/json" -d '{"required_copies":3,"name":""}' "$url/api/v1/productions/$prod")
[[ $code == 400 ]] && jq -e '.error.code and .error.message' "$tmp/ans" >/dev/null ||
	fail "PATCH with an empty name: $code $(cat "$tmp/ans")"
after=$(api "/api/v1/productions" | jq -c --argjson p "$prod" '.items[] | select(.id == $p) | [.name, .required_copies]')
[[ $before == '["Feature",2]' && $after == "$before" && $(list) == '[true,[]]' ]] ||
	fail "a refused PATCH changed the production or the verdicts: $before -> $after, $(list)"
ok "a PATCH with a valid required_copies and an invalid name is refused whole (400, nothing changed)"

echo "custody.sh: faults tried $faults, false verified $false_verified, false safe to format $false_safe"
[[ $false_verified == 0 && $false_safe == 0 ]] || fail "custody lied"
ok "custody journey: $faults faults, 0 false verified, 0 false safe to format"

#!/usr/bin/env bash
# Same-day dailies, cart to post house, through the CLI and the HTTP API only: a real card
# (tests/fixtures/make-qc-clips.sh) offloaded to two tmpfs volumes and registered with the
# cart (`setpost serve` + `setpost worker`), probed and proxied by ffmpeg; its proxy delivered
# with POST /api/v1/deliveries {"target_id","rendition_id"}, encrypted with age on the way, to a
# second `setpost serve` (own database, own data folder) acting as the post house. The delivery
# is `delivered` only on the receiver's verified receipt, and the bytes the post house decrypted
# equal the proxy. A delivery whose attempt fails shows `retrying` with its reason at once in
# GET /api/v1/deliveries and on the event stream.
#   tests/journey/dailies_delivery.sh build/setpost
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/sp-dd.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	umount "$tmp/raid" "$tmp/shuttle" 2>/dev/null || true
	rm -rf "$tmp"
	for d in cart post; do psql -q "$SETPOST_TEST_PG" -c "DROP DATABASE IF EXISTS dd_${d}_$$" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
on_fail() { tail -n 15 "$tmp/worker.log" >&2 2>/dev/null || true; }

if [ "$(id -u)" -ne 0 ]; then
	skip "same-day dailies delivered to a post house" "need root to mount two tmpfs volumes"
	exit 0
fi
for tool in ffmpeg xxhsum age jq; do
	command -v "$tool" >/dev/null || { skip "same-day dailies delivered to a post house" "$tool is missing"; exit 0; }
done

url=""
serve() { # name extra-args...; sets url
	local name=$1; shift
	psql -q "$SETPOST_TEST_PG" -c "CREATE DATABASE dd_${name}_$$" >/dev/null
	SETPOST_DATABASE_URL="${SETPOST_TEST_PG/dbname=postgres/dbname=dd_${name}_$$}" \
		"$bin" serve --listen 127.0.0.1:0 --data "$tmp/$name" "$@" >"$tmp/$name.out" 2>"$tmp/$name.log" &
	pids+=($!)
	for _ in $(seq 100); do grep -qs "listening on" "$tmp/$name.out" && break; sleep 0.1; done
	url=$(sed -n 's/.*listening on //p' "$tmp/$name.out")
	[ -n "$url" ] || fail "$name did not start: $(cat "$tmp/$name.log")"
}
CART_DB="${SETPOST_TEST_PG/dbname=postgres/dbname=dd_cart_$$}"
POST_DB="${SETPOST_TEST_PG/dbname=postgres/dbname=dd_post_$$}"

# The post house: its own setpost with its age identity, and a token for the cart.
"$bin" keygen -o "$tmp/post.key" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$tmp/post.key")
# (Its own webhook for arrival.verified points at loopback: allowed explicitly, issue 14.)
serve post --age-identity "$tmp/post.key" --outbound-allow 127.0.0.1/32
post=$url
post_token=$(SETPOST_DATABASE_URL=$POST_DB "$bin" token create --role post --name cart | tail -n 1)
# The cart: server and worker. The post house is on loopback, which setpost refuses to send to
# unless the operator allows it (issue 14, no SSRF): the cart allows 127.0.0.1 explicitly.
serve cart --outbound-allow 127.0.0.1/32
cart=$url
export SETPOST_DATABASE_URL=$CART_DB
export SETPOST_TOKEN=$("$bin" token create --role admin --name dit | tail -n 1)
"$bin" worker --slots 2 --data "$tmp/cart" --outbound-allow 127.0.0.1/32 >"$tmp/worker.out" 2>"$tmp/worker.log" &
pids+=($!)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" "$cart$@"; }

# A real card: two clean ProRes clips with sound, on two distinct volumes.
bash "$top/tests/fixtures/make-qc-clips.sh" "$tmp/fx" >/dev/null 2>&1
mkdir -p "$tmp/cards/A001R1AB" "$tmp/raid" "$tmp/shuttle"
cp "$tmp/fx/A001R1AB/A001C001_250101_R1AB.mov" "$tmp/fx/A001R1AB/A001C002_250101_R1AB.mov" "$tmp/cards/A001R1AB/"
mount -t tmpfs -o size=64m tmpfs "$tmp/raid"
mount -t tmpfs -o size=64m tmpfs "$tmp/shuttle"
"$bin" offload "$tmp/cards/A001R1AB" --to "$tmp/raid" --to "$tmp/shuttle" --register "$cart" \
	--production Feature --day 2026-12-07 --no-progress >"$tmp/offload.out" 2>&1 ||
	fail "offload: $(cat "$tmp/offload.out")"
grep -q "safe to format: YES" "$tmp/offload.out" || fail "offload: $(cat "$tmp/offload.out")"

# Probed and proxied by the worker, without being asked.
until_api 120 '[.items[] | select(.state == "done")] | length == 2' "/api/v1/renditions" ||
	fail "proxies not made: $got"
rid=$(jq -r '[.items[] | select(.clip == "A001C001_250101_R1AB")][0].id' <<<"$got")
proxy_xxh=$(jq -r ".items[] | select(.id == $rid) | .xxh64" <<<"$got")
api "/api/v1/renditions/$rid/file" -o "$tmp/proxy.mp4"
[[ $(xxhsum -H1 "$tmp/proxy.mp4" | cut -d' ' -f1) == "$proxy_xxh" ]] || fail "proxy download: $(head -c 200 "$tmp/proxy.mp4")"
ok "a card offloaded to two volumes is probed and proxied (rendition $rid, xxh64 $proxy_xxh)"

# Watch the event streams from here on: the cart's, and the post house's (with its own token).
curl -sN -H "Authorization: Bearer $SETPOST_TOKEN" "$cart/api/v1/events/stream" >"$tmp/stream.txt" 2>/dev/null &
pids+=($!)
curl -sN -H "Authorization: Bearer $post_token" "$post/api/v1/events/stream" >"$tmp/post-stream.txt" 2>/dev/null &
pids+=($!)
papi() { curl -s -H "Authorization: Bearer $post_token" "$post$@"; }

# The post house's own systems want arrival.verified: a hook for it (any production).
hook=$(papi /api/v1/webhooks -H "Content-Type: application/json" -d '{"url":"http://127.0.0.1:9/hook","events":["arrival.verified"]}' | jq -r .id)
[[ $hook =~ ^[0-9]+$ ]] || fail "a webhook for arrival.verified at the post house: $hook"
# The post house as a target; the proxy delivered there.
target=$(api /api/v1/targets -d "{\"production_id\":1,\"name\":\"Post\",\"url\":\"$post/api/v1/uploads/\",
	\"recipient\":\"$recipient\",\"headers\":{\"Authorization\":\"Bearer $post_token\"}}" | jq -r .id)
[[ $target =~ ^[0-9]+$ ]] || fail "target: $target"
d=$(api /api/v1/deliveries -d "{\"target_id\":$target,\"rendition_id\":$rid}")
did=$(jq -r .id <<<"$d")
[[ $did =~ ^[0-9]+$ ]] || fail "delivery: $d"
until_api 90 ".items[] | select(.id == $did) | .state == \"delivered\" or .state == \"failed\"" /api/v1/deliveries ||
	fail "delivery $did never ended: $(jq -c ".items[] | select(.id == $did)" <<<"$got")"
row=$(jq -c ".items[] | select(.id == $did)" <<<"$got")
jq -e '.state == "delivered" and .receipt.state == "verified" and .error == null' <<<"$row" >/dev/null ||
	fail "delivery of rendition $rid: $row"
jq -e ".receipt.plain_xxh64 == \"$proxy_xxh\"" <<<"$row" >/dev/null || fail "the receipt names another xxh64: $row"
ok "POST /api/v1/deliveries {target_id, rendition_id}: delivered on the receiver's verified receipt"

# At the post house: the decrypted file is the proxy, byte for byte, filed as
# <uploads>/<production>/<day>/<card>/<the cart's file name>; the encrypted .part is gone.
name=$(basename "$(api "/api/v1/renditions" | jq -r ".items[] | select(.id == $rid) | .rel_path")")
landed="$tmp/post/uploads/Feature/2026-12-07/A001R1AB/$name"
[ -f "$landed" ] || fail "no $landed at the post house: $(find "$tmp/post/uploads" | head)"
cmp "$landed" "$tmp/proxy.mp4" || fail "the post house's $name differs from the proxy"
[[ $(xxhsum -H1 "$landed" | cut -d' ' -f1) == "$proxy_xxh" ]] || fail "xxh64 at the post house"
upload=$(jq -r '.receipt.id // empty' <<<"$row")
[ -z "$(find "$tmp/post/uploads" -name "*.part*")" ] || fail "a .part remains after a verified arrival: $(find "$tmp/post/uploads" -name "*.part*")"
ok "the post house filed $name as Feature/2026-12-07/A001R1AB/$name, the proxy's bytes (xxh64 $proxy_xxh), no .part left${upload:+, upload $upload}"

# GET /api/v1/arrivals at the post house: the clip, its hash, where it is, when it came.
arr=$(papi /api/v1/arrivals)
jq -e --arg path "$landed" --arg xxh "$proxy_xxh" --argjson size "$(stat -c %s "$tmp/proxy.mp4")" --arg up "$upload" \
	'.items | length == 1 and (.[0] | .path == $path and .xxh64 == $xxh and .size == $size and .upload == $up
	and .production == "Feature" and .day == "2026-12-07" and .card == "A001R1AB" and .clip == "A001C001_250101_R1AB"
	and .received_at != null and .verified_at != null)' <<<"$arr" >/dev/null || fail "GET /api/v1/arrivals: $arr"
ok "GET /api/v1/arrivals (post role): the clip with its path, size, xxh64, production/day/card/clip and times"
for _ in $(seq 25); do grep -q "^event: arrival.verified" "$tmp/post-stream.txt" && break; sleep 0.2; done
grep -A1 "^event: arrival.verified" "$tmp/post-stream.txt" | grep -Eq "\"xxh64\": ?\"$proxy_xxh\"" ||
	fail "no arrival.verified with xxh64 $proxy_xxh on the post house's stream: $(tail -n 20 "$tmp/post-stream.txt")"
[[ $(psql -qtA "$POST_DB" -c "SELECT count(*) FROM jobs WHERE kind = 'webhook' AND payload->>'type' = 'arrival.verified'
	AND (payload->>'webhook_id')::bigint = $hook") -ge 1 ]] || fail "no webhook delivery queued for arrival.verified"
ok "arrival.verified on the post house's event stream, with the proxy's xxh64, and queued for its webhook $hook"
# Refused: a role the post house does not give arrivals to, a bad limit, a cursor of another list.
editor=$(SETPOST_DATABASE_URL=$POST_DB "$bin" token create --role editor --name ed | tail -n 1)
code=$(curl -s -H "Authorization: Bearer $editor" "$post/api/v1/arrivals" -o "$tmp/bad.json" -w "%{http_code}")
[[ $code == 403 ]] && jq -e '.error.code and .error.message' "$tmp/bad.json" >/dev/null || fail "arrivals as an editor: $code $(cat "$tmp/bad.json")"
code=$(papi "/api/v1/arrivals?limit=0" -o "$tmp/bad.json" -w "%{http_code}")
[[ $code == 400 ]] && jq -e '.error.code == "invalid"' "$tmp/bad.json" >/dev/null || fail "limit=0: $code $(cat "$tmp/bad.json")"
code=$(papi "/api/v1/arrivals?cursor=$(printf '["dailies","x","y"]' | base64 -w0 | tr '+/' '-_' | tr -d =)" -o "$tmp/bad.json" -w "%{http_code}")
[[ $code == 400 ]] && jq -e '.error.code == "invalid"' "$tmp/bad.json" >/dev/null || fail "another list's cursor: $code $(cat "$tmp/bad.json")"
ok "GET /api/v1/arrivals refuses an editor (403), limit=0 and another list's cursor (400), each with one JSON error"

for _ in $(seq 25); do grep -q "^event: delivery.verified" "$tmp/stream.txt" && break; sleep 0.2; done
grep -q "^event: delivery.verified" "$tmp/stream.txt" || fail "no delivery.verified on the event stream: $(tail -n 20 "$tmp/stream.txt")"
ok "delivery.verified on the event stream"

# A target that refuses connections: the first failed attempt is visible at once, with its
# reason, in GET /api/v1/deliveries and on the event stream, while it is tried again.
t2=$(api /api/v1/targets -d "{\"production_id\":1,\"name\":\"Unreachable\",\"url\":\"http://127.0.0.1:9/api/v1/uploads/\",
	\"recipient\":\"$recipient\"}" | jq -r .id)
[[ $t2 =~ ^[0-9]+$ ]] || fail "target 2: $t2"
d2=$(api /api/v1/deliveries -d "{\"target_id\":$t2,\"rendition_id\":$rid}" | jq -r .id)
until_api 30 ".items[] | select(.id == $d2) | .state != \"queued\" and .state != \"uploading\"" /api/v1/deliveries ||
	fail "the failed attempt is not shown: $(jq -c ".items[] | select(.id == $d2)" <<<"$got")"
row=$(jq -c ".items[] | select(.id == $d2)" <<<"$got")
jq -e '.state == "retrying" and (.error | test("127.0.0.1|connect|refused"; "i"))' <<<"$row" >/dev/null ||
	fail "after one failed attempt: $row"
job=$(api "/api/v1/jobs?kind=upload&limit=50" | jq -c "[.items[] | select(.payload.delivery_id == $d2)][0]")
jq -e '(.state == "running" or .state == "queued") and .attempts == 1' <<<"$job" >/dev/null ||
	fail "the delivery is still being tried: $job"
for _ in $(seq 25); do grep -q "^event: delivery.retrying" "$tmp/stream.txt" && break; sleep 0.2; done
grep -A1 "^event: delivery.retrying" "$tmp/stream.txt" | grep -q "\"subject_id\":$d2\|\"id\":$d2\|delivery $d2\|127.0.0.1" ||
	fail "no delivery.retrying for delivery $d2 on the stream: $(grep -A1 'event: delivery' "$tmp/stream.txt" | tail -n 6)"
ok "a failed attempt: retrying at once with its reason ($(jq -r .error <<<"$row" | cut -c1-80)), on the stream too"

# Delivery rules: "proxies go to Post" once, then every proxy leaves as soon as it is made.
rule=$(api /api/v1/delivery-rules -d "{\"production_id\":1,\"target_id\":$target,\"what\":\"proxies\"}")
jq -e '.id > 0 and .what == "proxies" and .target == "Post" and .profiles == []' <<<"$rule" >/dev/null || fail "rule: $rule"
rule_id=$(jq -r .id <<<"$rule")
code=$(api /api/v1/delivery-rules -d "{\"production_id\":1,\"target_id\":$target,\"what\":\"proxies\"}" -o "$tmp/bad.json" -w "%{http_code}")
[[ $code == 409 ]] && jq -e .error.message "$tmp/bad.json" >/dev/null || fail "a second proxies rule for Post: $code $(cat "$tmp/bad.json")"
code=$(api /api/v1/delivery-rules -d "{\"production_id\":1,\"target_id\":$target,\"what\":\"stills\"}" -o "$tmp/bad.json" -w "%{http_code}")
[[ $code == 400 ]] || fail "what stills: $code $(cat "$tmp/bad.json")"
code=$(api /api/v1/delivery-rules -d "{\"production_id\":2,\"target_id\":$target,\"what\":\"sound\"}" -o "$tmp/bad.json" -w "%{http_code}")
[[ $code == 404 ]] || fail "a target of another production: $code $(cat "$tmp/bad.json")"
[[ $(api /api/v1/delivery-rules | jq '.items | length') == 1 ]] || fail "refused rules were recorded"
ok "a delivery rule: proxies to Post (refused: a second one, an unknown what, another production's target)"

# "Send this day now": what the rule asks for and was ready before it existed.
sent=$(api /api/v1/days/1/send -X POST)
jq -e '.clips == 2 and .queued == 2' <<<"$sent" >/dev/null || fail "send day 1: $sent"
again=$(api /api/v1/days/1/send -X POST -d '{"clip_ids":[1,2]}')
jq -e '.queued == 0' <<<"$again" >/dev/null || fail "a rule sends one thing once: $again"
until_api 90 "[.items[] | select(.rule_id == $rule_id and .state == \"delivered\")] | length == 2" /api/v1/deliveries ||
	fail "rule deliveries: $(jq -c "[.items[] | select(.rule_id == $rule_id)]" <<<"$got")"
ok "POST /api/v1/days/1/send: both clips' proxies queued by the rule and delivered; asked again, nothing twice"

# A card offloaded now: its proxy leaves by itself, verified at the post house.
mkdir -p "$tmp/cards2/A002R1AB"
cp "$tmp/fx/A001R1AB/A001C003_250101_R1AB.mov" "$tmp/cards2/A002R1AB/A002C001_250101_R1AB.mov"
"$bin" offload "$tmp/cards2/A002R1AB" --to "$tmp/raid" --to "$tmp/shuttle" --register "$cart" \
	--production Feature --day 2026-12-07 --no-progress >"$tmp/offload2.out" 2>&1 ||
	fail "offload 2: $(cat "$tmp/offload2.out")"
until_api 120 "[.items[] | select(.clip == \"A002C001_250101_R1AB\" and .state == \"done\")] | length == 1" /api/v1/renditions ||
	fail "no proxy of A002C001: $got"
r3=$(jq -r '.items[] | select(.clip == "A002C001_250101_R1AB") | .id' <<<"$got")
until_api 60 ".items[] | select(.rendition_id == $r3) | .state == \"delivered\"" /api/v1/deliveries ||
	fail "the new proxy was not delivered by the rule: $(jq -c "[.items[] | select(.rendition_id == $r3)]" <<<"$got")"
jq -e ".items[] | select(.rendition_id == $r3) | .rule_id == $rule_id" <<<"$got" >/dev/null || fail "not by the rule: $got"
d3=$(jq -r ".items[] | select(.rendition_id == $r3) | .id" <<<"$got")
[[ $(api "/api/v1/events?kind=delivery.queued&subject_type=delivery&subject_id=$d3" | jq -r '.items[0].actor') == "delivery rule $rule_id" ]] ||
	fail "delivery.queued of delivery $d3: $(api "/api/v1/events?kind=delivery.queued&subject_id=$d3")"
name3=$(basename "$(api "/api/v1/renditions?clip_id=$(jq -r ".items[] | select(.id == $r3) | .clip_id" <<<"$(api /api/v1/renditions)")" | jq -r '.items[0].rel_path')")
[ -n "$(find "$tmp/post/uploads" -type f -name "$name3")" ] || fail "$name3 not at the post house"
ok "a new card's proxy is delivered by the rule the moment it is made ($name3), no POST /deliveries"

# Camera originals by a rule, for a selection: queued after proxies (priority 10), delivered.
orule=$(api /api/v1/delivery-rules -d "{\"production_id\":1,\"target_id\":$target,\"what\":\"originals\"}" | jq -r .id)
[[ $orule =~ ^[0-9]+$ ]] || fail "originals rule: $orule"
clip3=$(api "/api/v1/renditions" | jq -r ".items[] | select(.id == $r3) | .clip_id")
sent=$(api /api/v1/days/1/send -d "{\"clip_ids\":[$clip3]}")
jq -e '.clips == 1 and .queued == 1' <<<"$sent" >/dev/null || fail "send clip $clip3: $sent"
until_api 60 "[.items[] | select(.rule_id == $orule and .file_id != null and .state == \"delivered\")] | length == 1" /api/v1/deliveries ||
	fail "original by the rule: $(jq -c "[.items[] | select(.rule_id == $orule)]" <<<"$got")"
od=$(jq -r ".items[] | select(.rule_id == $orule) | .id" <<<"$got")
prio=$(api "/api/v1/jobs?kind=upload&limit=100" | jq -r ".items[] | select(.payload.delivery_id == $od) | .priority")
[[ $prio == 10 ]] || fail "an original's priority: $prio"
cmp -s "$(find "$tmp/post/uploads" -type f -name A002C001_250101_R1AB.mov | head -n 1)" "$tmp/cards2/A002R1AB/A002C001_250101_R1AB.mov" ||
	fail "the original at the post house differs"
ok "an originals rule with a selection (clip $clip3): the camera file delivered, priority 10 (after proxies at 20)"

# Every verified arrival is listed once, newest first, page by page; the camera original came last.
all=$(papi "/api/v1/arrivals?limit=500")
total=$(jq '.items | length' <<<"$all")
verified=$(api /api/v1/deliveries | jq '[.items[] | select(.target_id == '"$target"' and .state == "delivered")] | length')
[[ $total == "$verified" && $total -ge 5 ]] || fail "arrivals: $total, deliveries verified: $verified"
jq -e '.items[0] | .filename == "A002C001_250101_R1AB.mov" and .card == "A002R1AB"
	and (.path | endswith("/uploads/Feature/2026-12-07/A002R1AB/A002C001_250101_R1AB.mov"))' <<<"$all" >/dev/null ||
	fail "the newest arrival is not the original: $(jq -c '.items[0]' <<<"$all")"
jq -e '[.items[].verified_at] == ([.items[].verified_at] | sort | reverse)' <<<"$all" >/dev/null || fail "not newest first: $all"
paged="[]" cur=""
for _ in $(seq 10); do
	page=$(papi "/api/v1/arrivals?limit=2${cur:+&cursor=$cur}")
	paged=$(jq -c --argjson p "$page" '. + [$p.items[].upload]' <<<"$paged")
	cur=$(jq -r '.next_cursor // empty' <<<"$page")
	[ -n "$cur" ] || break
done
[[ $paged == "$(jq -c '[.items[].upload]' <<<"$all")" ]] || fail "pages of 2: $paged vs $(jq -c '[.items[].upload]' <<<"$all")"
ok "GET /api/v1/arrivals: all $total verified arrivals, newest first (the original), the same in pages of 2"

# Bad input changes nothing.
n=$(api /api/v1/deliveries | jq '.items | length')
code=$(api /api/v1/deliveries -d "{\"target_id\":$target,\"rendition_id\":999999}" -o "$tmp/bad.json" -w "%{http_code}")
[[ $code == 4* ]] && jq -e '.error.code and .error.message' "$tmp/bad.json" >/dev/null || fail "unknown rendition: $code $(cat "$tmp/bad.json")"
[[ $(api /api/v1/deliveries | jq '.items | length') == "$n" ]] || fail "a refused delivery was recorded"
ok "an unknown rendition is refused with one JSON error and nothing recorded"
echo "dailies_delivery.sh: all passed"

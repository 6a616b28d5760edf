#!/usr/bin/env bash
# A delivery from the cart to a post house's setpost, both real servers with their own
# databases: the worker encrypts a camera original while it uploads it (tus), is killed mid-way
# and another attempt resumes it; the receiver decrypts it, checks size and xxh64, and only its
# verified receipt marks the delivery delivered. A third-party tus server (@tus/server), which
# gives no receipts, leaves the delivery uploaded.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
cli_tmp deliver
[ -d "$top/tests/interop/node_modules" ] || npm ci --silent --prefix "$top/tests/interop" >/dev/null

serve() { # name extra-args...: its own database (NAME_DB) and server; sets url
	cli_db "$1"
	printf -v "${1^^}_DB" %s "$CLI_DB"
	SETPOST_DATABASE_URL=$CLI_DB cli_serve "$tmp/$1" --data "$tmp/$1" "${@:2}"
}
"$bin" keygen -o "$tmp/post.key" 2>"$tmp/keygen.err"
recipient=$(sed -n 's/^# public key: //p' "$tmp/post.key")
serve post --age-identity "$tmp/post.key"
post=$url
# The receivers in this test are on loopback, which setpost refuses to send to unless the
# operator allows it (issue 14, no SSRF): the cart and its worker allow 127.0.0.1 explicitly.
serve cart --outbound-allow 127.0.0.1/32
cart=$url
post_token=$(SETPOST_DATABASE_URL=$POST_DB "$bin" token create --role post --name cart | tail -n 1)
export SETPOST_TOKEN=$(SETPOST_DATABASE_URL=$CART_DB "$bin" token create --role admin --name dit | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" "$cart$@"; }

# A card with one 6 MB camera original (random bytes under a Blackmagic RAW name: camera raw
# setpost does not decode, so no proxy or QC job competes with the upload), offloaded and
# registered on the cart.
mkdir -p "$tmp/card/A001R1AB" "$tmp/copies"
head -c 6000000 /dev/urandom >"$tmp/card/A001R1AB/A001C001_250101_R1AB.braw"
# One verified copy secures a clip in this production, so delivery can move it on.
psql -q "$CART_DB" -c "INSERT INTO productions (name, required_copies) VALUES ('Deliver', 1)" >/dev/null
"$bin" offload "$tmp/card/A001R1AB" --to "$tmp/copies" --register "$cart" --production Deliver \
	--no-progress >/dev/null 2>&1 ||
	fail "offload"
file_id=$(psql -qtA "$CART_DB" -c "SELECT id FROM files LIMIT 1")

# The target: the post house's receiver, slowed so the worker can be killed mid-upload.
target=$(api /api/v1/targets -d "{\"production_id\":1,\"name\":\"Post\",\"url\":\"$post/api/v1/uploads/\",
	\"recipient\":\"$recipient\",\"bandwidth_limit\":1500000,\"headers\":{\"Authorization\":\"Bearer $post_token\"}}" | jq -r .id)
[[ $target =~ ^[0-9]+$ ]] || fail "target: $target"
psql -qtA "$CART_DB" -c "SELECT encode(headers_sealed, 'escape') FROM targets" | grep -q "$post_token" &&
	fail "the target's token is stored in the clear"
delivery=$(api /api/v1/deliveries -d "{\"target_id\":$target,\"file_id\":$file_id}" | jq -r .id)
[[ $delivery =~ ^[0-9]+$ ]] || fail "delivery: $delivery"

w=""
work() { SETPOST_DATABASE_URL=$CART_DB "$bin" worker --slots 1 --lease 2 --data "$tmp/cart" --outbound-allow 127.0.0.1/32 \
	>>"$tmp/worker.out" 2>>"$tmp/worker.log" & w=$!; cli_track "$w"; }
work
# Progress as a person reads it from the API: bytes, rate (under the target's cap), time left.
# (Waits for a megabyte sent, not only for the first rate: on a loaded machine the first rate
# may come after a smaller first chunk.)
for _ in $(seq 300); do
	row=$(api /api/v1/deliveries | jq -c ".items[] | select(.id == $delivery)")
	[[ $(jq -r .rate <<<"$row") != null && $(jq -r .bytes_sent <<<"$row") -gt 1000000 ]] && break
	sleep 0.1
done
jq -e '.bytes_sent > 1000000 and .bytes_total > 6000000 and .rate > 0 and .eta_seconds > 0' <<<"$row" >/dev/null ||
	fail "progress from GET /api/v1/deliveries: $row"
jq -e '.rate < 1500000 * 1.3' <<<"$row" >/dev/null || fail "bandwidth cap 1,500,000 B/s not kept: $row"
ok "GET /api/v1/deliveries: $(jq -r '"\(.bytes_sent) of \(.bytes_total) bytes, \(.rate) B/s, \(.eta_seconds) s left"' <<<"$row") (cap 1500000 B/s)"
kill -9 "$w"
[[ $(psql -qtA "$CART_DB" -c "SELECT state FROM deliveries WHERE id = $delivery") == uploading ]] ||
	fail "killed mid-upload"
psql -qtA "$CART_DB" -c "SELECT key_sealed IS NOT NULL FROM deliveries" | grep -q t || fail "key sealed in the database"
psql -q "$CART_DB" -c "UPDATE targets SET bandwidth_limit = NULL" >/dev/null
work
state=""
for _ in $(seq 300); do
	state=$(psql -qtA "$CART_DB" -c "SELECT state FROM deliveries WHERE id = $delivery")
	[[ $state == delivered || $state == failed ]] && break
	sleep 0.2
done
[[ $state == delivered ]] || fail "delivery state $state: $(tail -n 5 "$tmp/worker.log")"
cmp "$tmp/card/A001R1AB/A001C001_250101_R1AB.braw" "$(find "$tmp/post/uploads" -mindepth 4 -name A001C001_250101_R1AB.braw)" ||
	fail "the receiver's decrypted file differs: $(find "$tmp/post/uploads")"
[ -z "$(find "$tmp/post/uploads" -name '*.part')" ] || fail "the encrypted .part is kept after a verified arrival"
[[ $(psql -qtA "$CART_DB" -c "SELECT receipt->>'state' FROM deliveries") == verified ]] || fail "receipt kept"
[[ $(psql -qtA "$CART_DB" -c "SELECT attempts FROM jobs WHERE kind = 'upload'") -ge 2 ]] || fail "resumed by a new attempt"
ok "killed mid-upload, resumed, decrypted and verified by the receiver: delivered"
clip=$(psql -qtA "$CART_DB" -c "SELECT clip_id FROM files WHERE id = $file_id")
[[ $(psql -qtA "$CART_DB" -c "SELECT state FROM clips WHERE id = $clip") == delivered ]] ||
	fail "clip state: $(psql -qtA "$CART_DB" -c "SELECT state, state_reason FROM clips WHERE id = $clip")"
[[ $(api "/api/v1/events?kind=delivery.verified&subject_type=delivery&subject_id=$delivery" | jq ".items | length") == 1 ]] ||
	fail "no delivery.verified event for delivery $delivery"
[[ $(api "/api/v1/events?kind=clip.delivered&subject_id=$clip" | jq ".items | length") == 1 ]] || fail "no clip.delivered event"
ok "the clip's only delivery verified: clip delivered; events delivery.verified (a delivery) and clip.delivered"

# A third-party tus server has no receipts: uploaded, not delivered.
node "$top/tests/interop/tus-server.mjs" 0 "$tmp/tusd" >"$tmp/tusd.out" 2>&1 &
cli_track $!
for _ in $(seq 100); do grep -qs '^port ' "$tmp/tusd.out" && break; sleep 0.1; done
port=$(awk '/^port /{print $2; exit}' "$tmp/tusd.out")
t2=$(api /api/v1/targets -d "{\"production_id\":1,\"name\":\"Lab\",\"url\":\"http://127.0.0.1:$port/files/\",\"recipient\":\"$recipient\"}" | jq -r .id)
d2=$(api /api/v1/deliveries -d "{\"target_id\":$t2,\"file_id\":$file_id}" | jq -r .id)
for _ in $(seq 200); do
	state=$(psql -qtA "$CART_DB" -c "SELECT state FROM deliveries WHERE id = $d2")
	[[ $state == uploaded || $state == failed || $state == delivered ]] && break
	sleep 0.2
done
[[ $state == uploaded ]] || fail "third-party delivery: $state $(tail -n 3 "$tmp/worker.log")"
ok "a third-party tus server (no receipt): uploaded, not delivered"

# A receiver that cannot decrypt (the target's recipient is not its identity): the receipt says
# failed, the delivery fails at once (no retries) and the clip says upload_failed.
"$bin" keygen -o "$tmp/other.key" 2>/dev/null
other=$(sed -n 's/^# public key: //p' "$tmp/other.key")
t3=$(api /api/v1/targets -d "{\"production_id\":1,\"name\":\"Wrong key\",\"url\":\"$post/api/v1/uploads/\",
	\"recipient\":\"$other\",\"headers\":{\"Authorization\":\"Bearer $post_token\"}}" | jq -r .id)
d3=$(api /api/v1/deliveries -d "{\"target_id\":$t3,\"file_id\":$file_id}" | jq -r .id)
for _ in $(seq 200); do
	state=$(psql -qtA "$CART_DB" -c "SELECT state FROM deliveries WHERE id = $d3")
	[[ $state == failed || $state == delivered ]] && break
	sleep 0.2
done
[[ $state == failed ]] || fail "undecryptable delivery: $state"
read -r cstate creason < <(psql -qtA -F ' ' "$CART_DB" -c "SELECT state, state_reason FROM clips WHERE id = $clip")
[[ $cstate == upload_failed && $creason == "delivery $d3: "*receiver* ]] || fail "clip after a failed delivery: $cstate $creason"
ok "a delivery the receiver cannot verify: failed; clip upload_failed ($creason)"

# The copy on the cart changed after its xxh64 was registered (same size): the worker sends at
# once with the registered xxh64, finds the mismatch in the stream before the last byte, deletes
# the upload; the delivery fails at once (no retries), is never delivered, and no receipt says
# verified.
copy=$(find "$tmp/copies" -type f -name A001C001_250101_R1AB.braw | head -n 1)
registered=$(psql -qtA "$CART_DB" -c "SELECT value FROM hashes WHERE file_id = $file_id AND algorithm = 'xxh64'")
printf 'X' | dd of="$copy" bs=1 seek=5000000 conv=notrunc status=none
d4=$(api /api/v1/deliveries -d "{\"target_id\":$target,\"file_id\":$file_id}" | jq -r .id)
for _ in $(seq 200); do
	state=$(psql -qtA "$CART_DB" -c "SELECT state FROM deliveries WHERE id = $d4")
	[[ $state == failed || $state == delivered || $state == uploaded ]] && break
	sleep 0.2
done
read -r dstate receipt dup < <(psql -qtA -F ' ' "$CART_DB" -c "SELECT state, coalesce(receipt->>'state', 'none'),
	regexp_replace(upload_url, '.*/', '') FROM deliveries WHERE id = $d4")
derror=$(psql -qtA "$CART_DB" -c "SELECT error FROM deliveries WHERE id = $d4")
[[ $dstate == failed && $receipt == none ]] || fail "a changed copy: delivery $dstate, receipt $receipt"
[[ $derror == "$copy: plaintext xxh64 "*", not the $registered announced"* ]] || fail "a changed copy: error '$derror'"
[[ $(psql -qtA "$POST_DB" -c "SELECT state || ' ' || (\"offset\" < length) FROM uploads WHERE id = '$dup'") == "terminated true" ]] ||
	fail "a changed copy at the receiver: $(psql -qtA "$POST_DB" -c "SELECT state, \"offset\", length FROM uploads WHERE id = '$dup'")"
[[ $(psql -qtA "$CART_DB" -c "SELECT attempts FROM jobs WHERE payload->>'delivery_id' = '$d4'") == 1 ]] || fail "a changed copy was retried"
ok "a copy changed after registration: failed in the stream before its end ($derror), upload deleted, never delivered"

# The order deliveries go in: circled proxies, then other proxies, then originals, whatever
# order they were asked in (the queue takes the highest priority first). No worker runs now.
kill -9 "$w" 2>/dev/null || true
r1=$(psql -qtA "$CART_DB" -c "INSERT INTO renditions (clip_id, profile) VALUES ($clip, 'proxy') RETURNING id")
o=$(api /api/v1/deliveries -d "{\"target_id\":$target,\"file_id\":$file_id}" | jq -r .id)
p=$(api /api/v1/deliveries -d "{\"target_id\":$target,\"rendition_id\":$r1}" | jq -r .id)
psql -q "$CART_DB" -c "UPDATE clips SET circled = true WHERE id = $clip" >/dev/null
c=$(api /api/v1/deliveries -d "{\"target_id\":$target,\"rendition_id\":$r1}" | jq -r .id)
order=$(psql -qtA "$CART_DB" -c "SELECT string_agg((payload->>'delivery_id') || ':' || priority, ' '
	ORDER BY priority DESC, run_after, id) FROM jobs WHERE kind = 'upload' AND state = 'queued'")
[[ $order == "$c:30 $p:20 $o:10" ]] || fail "queue order: $order (circled $c, proxy $p, original $o)"
ok "queued in the order circled proxy, proxy, original ($order)"

bad=$(api /api/v1/deliveries -d "{\"target_id\":$target}" -o /dev/null -w "%{http_code}")
[[ $bad == 400 ]] || fail "neither file nor rendition: $bad"
echo "deliver.sh: all passed"

#!/usr/bin/env bash
# Faults on the way to the post house, against setpost's own receiver (decrypting, with
# receipts) and `setpost send` (the upload a delivery job makes): the connection cut after N
# bytes by a loopback relay, a byte flipped in flight (checksum mismatch), the receiver killed
# and started again on the same data mid-upload, an upload that expired, a full disk at the
# receiver. Each ends with the receiver's plaintext byte-identical to the original and a
# verified receipt, or in one clear line and exit 1; a fault within a run re-sends at most one
# chunk. (The worker killed with kill -9 mid-delivery: tests/cli/deliver.sh.)
#   tests/cli/faults.sh build/setpost
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$(realpath "${1:?usage: $0 PATH_TO_SETPOST}")
top=$(cd "$(dirname "$0")/../.." && pwd)
cli_tmp faults
cd "$tmp"

cli_db post
POST_DB=$CLI_DB
sql() { psql -qtA "$POST_DB" -c "$1"; }
"$bin" keygen -o post.key 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' post.key)

# serve [--listen ADDR] [flags]: the post house's receiver on data/; sets $url, $port, $server.
serve() {
	local listen=127.0.0.1:0
	if [ "${1:-}" = --listen ]; then listen=$2; shift 2; fi
	: >serve.out
	SETPOST_DATABASE_URL=$POST_DB "$bin" serve --listen "$listen" --data data \
		--age-identity post.key "$@" >serve.out 2>>serve.log &
	server=$!
	cli_track "$server"
	for _ in $(seq 100); do grep -q "listening on" serve.out && break; sleep 0.1; done
	url=$(sed -n 's/.*listening on //p' serve.out)
	[ -n "$url" ] || fail "the receiver did not start: $(tail -n 3 serve.log)"
	port=${url##*:}
}
serve
token=$(SETPOST_DATABASE_URL=$POST_DB "$bin" token create --role post --name cart | tail -n 1)

# relay MODE N: a relay to the receiver, faulty on its first connection; sets $relay.
relay() {
	: >relay.out
	python3 "$top/tests/cli/relay.py" "$port" "$1" "$2" >relay.out 2>relay.log &
	cli_track $!
	for _ in $(seq 50); do grep -q "^port " relay.out && break; sleep 0.1; done
	relay=$(awk '/^port /{print $2}' relay.out)
	[ -n "$relay" ] || fail "relay did not start"
}

# send FILE OUT TO [flags]: `setpost send` with the receiver's token, state in cart/.
send() {
	local file=$1 out=$2 to=$3
	shift 3
	"$bin" send "$file" --to "$to/api/v1/uploads/" --recipient "$recipient" \
		--header "Authorization: Bearer $token" --data cart "$@" >"$out" 2>&1
}

# verified OUT FILE: the upload OUT names was verified by the receiver, and the plaintext it
# stored is FILE, byte for byte.
verified() {
	local id state
	id=$(sed -n 's|^complete .*/||p' "$1")
	[ -n "$id" ] || fail "no upload completed: $(cat "$1")"
	for _ in $(seq 100); do
		state=$(sql "SELECT state FROM uploads WHERE id = '$id'")
		[ "$state" = verified ] || [ "$state" = failed ] && break
		sleep 0.1
	done
	[ "$state" = verified ] || fail "upload $id: $state: $(sql "SELECT reason FROM uploads WHERE id = '$id'")"
	cmp -s "$2" "$(sql "SELECT stored_path FROM uploads WHERE id = '$id'")" ||
		fail "upload $id: the stored plaintext differs from $2"
}

# resent OUT: bytes sent beyond what the run had to send (length - resumed_at), by send's count.
resent() {
	sed -n 's/^sent \([0-9]*\) of \([0-9]*\) bytes (resumed at \([0-9]*\)).*/\1 \2 \3/p' "$1" |
		awk '{print $1 - ($2 - $3)}'
}

# wire OUT: bytes the client sent through the relay beyond the upload's length (headers and
# everything sent again, libcurl's own retries included).
wire() {
	local length
	length=$(sed -n 's/^sent [0-9]* of \([0-9]*\) bytes.*/\1/p' "$1")
	for _ in $(seq 20); do [ "$(grep -c '^closed ' relay.log)" -ge 1 ] && break; sleep 0.1; done
	sleep 0.3
	awk -v l="$length" '/^closed /{s += $2} END {print s - l}' relay.log
}

chunk=$((2 * 1024 * 1024))
head -c 12000000 /dev/urandom >clip.mov

# ---- the connection cut after N bytes ----
relay cut 5000000
send clip.mov cut.out "http://127.0.0.1:$relay" --chunk-size 2M || fail "send through a cut: $(cat cut.out)"
grep -q "^cut at 5000000" relay.log || fail "the relay did not cut"
grep -q "xxh3 checksums" cut.out || fail "no xxh3 checksums: $(cat cut.out)"
verified cut.out clip.mov
extra=$(wire cut.out)
# What the cut PATCH delivered before the cut (800,000 bytes or so) crossed twice: more than
# 100,000 bytes, at most one chunk plus the requests' headers.
[ "$extra" -gt 100000 ] && [ "$extra" -le $((chunk + 65536)) ] ||
	fail "cut: $extra bytes over the upload's length crossed the relay (one chunk is $chunk)"
ok "connection cut after 5,000,000 bytes: resumed, verified, byte-identical; $extra bytes more than the upload crossed the wire (<= one chunk)"

# ---- a byte flipped in flight: 460, the chunk thrown away and sent again ----
rm -rf cart
relay flip 3000000
send clip.mov flip.out "http://127.0.0.1:$relay" --chunk-size 2M || fail "send with a flipped byte: $(cat flip.out)"
grep -q "^flip at 3000000" relay.log || fail "the relay did not flip"
grep -q "1 retries" flip.out || fail "the mismatch was not retried: $(cat flip.out)"
verified flip.out clip.mov
extra=$(resent flip.out)
[ "$extra" -eq "$chunk" ] || fail "flip: re-sent $extra bytes, expected exactly one chunk ($chunk)"
extra=$(wire flip.out)
[ "$extra" -ge "$chunk" ] && [ "$extra" -le $((chunk + 65536)) ] ||
	fail "flip: $extra bytes over the upload's length crossed the relay (one chunk is $chunk)"
ok "a byte flipped in flight: 460 Checksum Mismatch, that chunk alone sent again, verified"

# The receiver's answer itself: status, message, offset unchanged; sha1 and xxh3 both checked.
loc=$(curl -sS -D - -o /dev/null -X POST "$url/api/v1/uploads/" -H "Authorization: Bearer $token" \
	-H "Tus-Resumable: 1.0.0" -H "Upload-Length: 11" | tr -d '\r' | sed -n 's/^Location: //p')
for sum in "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=" "xxh3 AAAAAAAAAAA="; do
	body=$(curl -sS -w ' %{http_code}' -X PATCH "$url$loc" -H "Authorization: Bearer $token" \
		-H "Tus-Resumable: 1.0.0" -H "Upload-Offset: 0" -H "Upload-Checksum: $sum" \
		-H "Content-Type: application/offset+octet-stream" --data-binary "hello there")
	[[ $body == *" 460" ]] || fail "checksum mismatch ($sum): $body"
	[[ $body == *"its 11 bytes were thrown away; the upload stays at offset 0"* ]] || fail "460 message: $body"
done
good=$(printf 'hello world' | xxhsum -H3 | awk '{print $NF}' | xxd -r -p | base64)
code=$(curl -sS -o /dev/null -w '%{http_code}' -X PATCH "$url$loc" -H "Authorization: Bearer $token" \
	-H "Tus-Resumable: 1.0.0" -H "Upload-Offset: 0" -H "Upload-Checksum: xxh3 $good" \
	-H "Content-Type: application/offset+octet-stream" --data-binary "hello world")
[ "$code" = 204 ] || fail "a right xxh3 checksum: $code"
ok "460 names the bytes thrown away and the offset kept (sha1, xxh3); a right xxh3 is taken"

# X-HTTP-Method-Override: POST acting as PATCH, HEAD and DELETE; a 415 creation leaves nothing.
loc=$(curl -sS -D - -o /dev/null -X POST "$url/api/v1/uploads/" -H "Authorization: Bearer $token" \
	-H "Tus-Resumable: 1.0.0" -H "Upload-Length: 5" | tr -d '\r' | sed -n 's/^Location: //p')
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$url$loc" -H "Authorization: Bearer $token" \
	-H "Tus-Resumable: 1.0.0" -H "X-HTTP-Method-Override: PATCH" -H "Upload-Offset: 0" \
	-H "Content-Type: application/offset+octet-stream" --data-binary "abc")
[ "$code" = 204 ] || fail "POST overridden to PATCH: $code"
off=$(curl -sS -D - -o /dev/null -X POST "$url$loc" -H "Authorization: Bearer $token" \
	-H "Tus-Resumable: 1.0.0" -H "X-HTTP-Method-Override: HEAD" | tr -d '\r' | sed -n 's/^Upload-Offset: //p')
[ "$off" = 3 ] || fail "POST overridden to HEAD: offset '$off'"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$url$loc" -H "Authorization: Bearer $token" \
	-H "Tus-Resumable: 1.0.0" -H "X-HTTP-Method-Override: DELETE")
[ "$code" = 204 ] || fail "POST overridden to DELETE: $code"
[ "$(sql "SELECT state FROM uploads WHERE id = '${loc##*/}'")" = terminated ] || fail "not terminated"
sql "SELECT count(*) FROM events WHERE kind = 'upload.terminated' AND data->>'upload' = '${loc##*/}'" |
	grep -qx 1 || fail "upload.terminated without the upload's id"
before=$(sql "SELECT count(*) FROM uploads")
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$url/api/v1/uploads/" -H "Authorization: Bearer $token" \
	-H "Tus-Resumable: 1.0.0" -H "Upload-Length: 5" -H "Content-Type: text/plain" --data-binary "abcde")
[ "$code" = 415 ] && [ "$(sql "SELECT count(*) FROM uploads")" = "$before" ] ||
	fail "415 creation: $code, uploads $before -> $(sql "SELECT count(*) FROM uploads")"
ok "X-HTTP-Method-Override PATCH/HEAD/DELETE on POST; upload events carry the id; a 415 creation leaves no upload"

# ---- tus-js-client (npm) uploads to setpost's receiver, POSTing its PATCHes ----
[ -d "$top/tests/interop/node_modules/tus-js-client" ] ||
	npm ci --prefix "$top/tests/interop" --no-audit --no-fund >/dev/null
head -c 300000 /dev/urandom >js.mov
age -r "$recipient" -o js.age js.mov
js_xxh=$(xxhsum -H1 js.mov | awk '{print $1}')
(cd "$top/tests/interop" && node --input-type=module -e '
import fs from "node:fs";
import { Upload } from "tus-js-client";
const [file, endpoint, token, size, xxh] = process.argv.slice(1);
const data = fs.readFileSync(file);
await new Promise((resolve, reject) => {
	const up = new Upload(data, {
		endpoint, chunkSize: 100000, overridePatchMethod: true, retryDelays: [],
		headers: { Authorization: `Bearer ${token}` },
		metadata: { filename: "js.mov", size, xxh64: xxh },
		onError: reject, onSuccess() { console.log(up.url); resolve(); },
	});
	up.start();
});
' "$tmp/js.age" "$url/api/v1/uploads/" "$token" 300000 "$js_xxh") \
	>js.url 2>js.err || fail "tus-js-client upload: $(cat js.err)"
echo "complete $(cat js.url)" >js.out
verified js.out js.mov
# No production, day or card in its metadata: filed under unfiled/unfiled/unfiled/.
cmp -s data/uploads/unfiled/unfiled/unfiled/js.mov js.mov && [ ! -e "data/uploads/$(basename "$(cat js.url)").part" ] ||
	fail "what tus-js-client uploaded is not at unfiled/unfiled/unfiled/js.mov, or its .part is kept: $(find data/uploads)"
ok "tus-js-client (POST with X-HTTP-Method-Override: PATCH, 100 kB chunks) to the receiver: verified, filed as unfiled/unfiled/unfiled/js.mov"


rm -rf cart
send clip.mov restart.out "$url" --chunk-size 2M --limit-rate 3M &
sender=$!
cli_track "$sender"
for _ in $(seq 100); do
	at=$(sql "SELECT coalesce(max(\"offset\"), 0) FROM uploads WHERE state = 'receiving'")
	[ "$at" -ge $((2 * chunk)) ] && break
	sleep 0.1
done
[ "$at" -ge $((2 * chunk)) ] || fail "the slow upload made no progress"
kill -9 "$server"
wait "$server" 2>/dev/null || true
sleep 0.5
serve --listen "127.0.0.1:$port"
wait "$sender" || fail "send across a receiver restart: $(cat restart.out)"
verified restart.out clip.mov
extra=$(resent restart.out)
[ "$extra" -le "$chunk" ] || fail "restart: re-sent $extra bytes (one chunk is $chunk)"
ok "receiver killed at $at bytes and started again: the upload resumed, verified; re-sent $extra bytes"

# ---- --xxh64 known beforehand: no hashing first, the file checked while it is sent ----
# started_then_killed FILE OUT: a rate-capped send with --xxh64 $good, killed with kill -9 once
# the receiver holds some of it; sets $sender_id.
good=$(xxhsum -H1 clip.mov | cut -d' ' -f1)
started_then_killed() {
	: >"$2"   # exists before the sender opens it: under set -e a sed on a missing file ends the script
	"$bin" send "$1" --to "$url/api/v1/uploads/" --recipient "$recipient" --data cart \
		--header "Authorization: Bearer $token" --chunk-size 1M --limit-rate 2M --xxh64 "$good" >"$2" 2>&1 &
	sender=$!
	cli_track "$sender"
	sender_id=""
	for _ in $(seq 100); do
		sender_id=$(sed -n 's|^upload .*/||p' "$2")
		[ -n "$sender_id" ] && [ "$(sql "SELECT \"offset\" FROM uploads WHERE id = '$sender_id'")" -gt 1000000 ] && break
		sleep 0.1
	done
	kill -9 "$sender"
	wait "$sender" 2>/dev/null || true
}
# stopped OUT FILE: send failed with one line naming FILE and both hashes, the upload was
# deleted before its last byte, and the receiver holds no receipt that says verified.
stopped() {
	local id
	id=$(sed -n 's|^deleted .*/||p' "$1")
	[ -n "$id" ] || fail "the upload was not deleted: $(cat "$1")"
	tail -n 1 "$1" | grep -q "^setpost send: $2: plaintext xxh64 [0-9a-f]\{16\}, not the $good announced" ||
		fail "changed file: $(tail -n 1 "$1")"
	grep -q "^complete " "$1" && fail "a changed file completed: $(cat "$1")"
	[ "$(sql "SELECT state || ' ' || (\"offset\" < length) FROM uploads WHERE id = '$id'")" = "terminated true" ] ||
		fail "the changed file's upload: $(sql "SELECT state, \"offset\", length FROM uploads WHERE id = '$id'")"
	[ "$(curl -s -H "Authorization: Bearer $token" "$url/api/v1/uploads/$id/receipt" | jq -r .state)" != verified ] ||
		fail "a receipt says verified for the changed file"
}
rm -rf cart
started_then_killed clip.mov xk1.out
send clip.mov xk2.out "$url" --chunk-size 1M --xxh64 "$good" || fail "resume with --xxh64: $(cat xk2.out)"
grep -q "(resumed at [1-9][0-9]*)" xk2.out || fail "did not resume: $(cat xk2.out)"
verified xk2.out clip.mov
ok "--xxh64 given: sent at once, killed, resumed (the part already sent hashed again first), verified"
# A file changed after its hash was recorded (same size and mtime): stopped before the end.
cp -p clip.mov changed.mov
printf 'X' | dd of=changed.mov bs=1 seek=9000000 conv=notrunc status=none
touch -r clip.mov changed.mov
rm -rf cart
send changed.mov xc.out "$url" --chunk-size 1M --xxh64 "$good" && fail "a changed file was sent: $(cat xc.out)"
stopped xc.out changed.mov
# Changed in the part sent before an interruption: the resumed run catches it too.
cp -p clip.mov changed.mov
rm -rf cart
started_then_killed changed.mov xr1.out
printf 'X' | dd of=changed.mov bs=1 seek=100 conv=notrunc status=none
touch -r clip.mov changed.mov
send changed.mov xr2.out "$url" --chunk-size 1M --xxh64 "$good" && fail "a changed file was resumed: $(cat xr2.out)"
grep -q "^resume .*/$sender_id$" xr2.out || fail "did not resume $sender_id: $(cat xr2.out)"
stopped xr2.out changed.mov
ok "--xxh64 of other bytes (the file changed after it was hashed, before or after an interruption): exit 1 naming both hashes, upload deleted before its end, no verified receipt"

# ---- an expired upload: a fresh upload is created and completes ----
kill "$server"
wait "$server" 2>/dev/null || true
serve --listen "127.0.0.1:$port" --upload-expiry 1
rm -rf cart
"$bin" send clip.mov --to "$url/api/v1/uploads/" --recipient "$recipient" --data cart \
	--header "Authorization: Bearer $token" --chunk-size 1M --limit-rate 2M >exp1.out 2>&1 &
sender=$!   # the process itself, not a subshell: kill -9 must stop the upload
cli_track "$sender"
for _ in $(seq 100); do grep -q "^upload " exp1.out && [ "$(sql "SELECT coalesce(max(\"offset\"), 0) FROM uploads WHERE state = 'receiving'")" -gt 0 ] && break; sleep 0.1; done
kill -9 "$sender"
wait "$sender" 2>/dev/null || true
old=$(sed -n 's|^upload .*/||p' exp1.out)
sleep 2
send clip.mov exp2.out "$url" --chunk-size 1M || fail "send after expiry: $(cat exp2.out)"
grep -q "answered HTTP 410; starting a new upload" exp2.out || fail "no 410 note: $(cat exp2.out)"
verified exp2.out clip.mov
[ "$(sql "SELECT state || ' ' || reason FROM uploads WHERE id = '$old'")" = "terminated expired" ] ||
	fail "the expired upload: $(sql "SELECT state, reason FROM uploads WHERE id = '$old'")"
[ ! -e "data/uploads/$old.part" ] || fail "the expired upload's bytes were kept"
ok "an expired upload (410): a new one created, completed and verified; the old one's bytes deleted"

# ---- a full disk at the receiver: a clear failure, then a resume once there is room ----
if cli_mount "$tmp/small" 32m 2>/dev/null; then
	kill "$server"
	wait "$server" 2>/dev/null || true
	serve --listen "127.0.0.1:$port" --uploads small
	rm -rf cart
	# The disk fills while the upload is under way (a creation longer than the free space is
	# refused at once, issue 14): the filler is written once the upload exists.
	before=$(sql "SELECT count(*) FROM uploads")
	send clip.mov full1.out "$url" --chunk-size 2M --retries 1 --limit-rate 2M &
	full_sender=$!
	for _ in $(seq 100); do [ "$(sql "SELECT count(*) FROM uploads")" -gt "$before" ] && break; sleep 0.1; done
	head -c 24000000 /dev/zero >small/filler 2>/dev/null || true
	if wait "$full_sender"; then
		fail "send to a full disk succeeded"
	fi
	tail -n 1 full1.out | grep -q "HTTP 507" || fail "full disk: $(tail -n 1 full1.out)"
	tail -n 1 full1.out | grep -q "No space left on device" || fail "full disk: $(tail -n 1 full1.out)"
	id=$(sed -n 's|^upload .*/||p' full1.out)
	kept=$(sql "SELECT \"offset\" FROM uploads WHERE id = '$id'")
	[ "$(stat -c %s "small/$id.part")" = "$kept" ] || fail "the part file is not the recorded offset"
	rm small/filler
	send clip.mov full2.out "$url" --chunk-size 2M || fail "send after making room: $(cat full2.out)"
	grep -q "(resumed at $kept)" full2.out || fail "did not resume at $kept: $(cat full2.out)"
	verified full2.out clip.mov
	ok "a full disk: HTTP 507 'No space left on device', exit 1; with room again it resumed at $kept and verified"
else
	skip "a full disk: 507 then resume" "needs root to mount a tmpfs"
fi

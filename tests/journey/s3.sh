#!/usr/bin/env bash
# Delivering into the post house's own bucket (issue 20), through the CLI and the HTTP API
# only: a real card offloaded to two tmpfs volumes and registered with the cart, its camera
# originals delivered to targets of kind "s3" on an S3-compatible server on loopback
# (tests/s3/s3-server.mjs: s3rver, with ListParts, SigV4 and checksum checks added).
#   - a plain delivery is `delivered` after the bucket's HEAD shows its size and xxh64, and
#     reading the object back with curl's own SigV4 client gives the original's bytes;
#   - an encrypted one (the target has an age recipient) decrypts with Debian's age to them;
#   - a worker killed with -9 mid-upload: the next one resumes the same multipart upload after
#     ListParts, re-sending at most the part in flight, not the whole file (a target with a
#     bandwidth cap: one part on the wire at a time);
#   - without a cap several parts are on the wire at once (the server counts them), finishing
#     out of order: a kill -9 when parts 2-4 are taken and part 1 is not still ends with the
#     file in the bucket, in the same multipart upload;
#   - a part answered 503 SlowDown twice is sent again after a back-off while the other parts
#     go on, and the delivery ends `delivered`;
#   - a part the bucket refuses for a bad checksum, wrong credentials, a missing bucket: each
#     `failed` with a clear reason, never `delivered`.
#   tests/journey/s3.sh build/setpost
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_need_root "deliveries into an S3-compatible bucket"
cli_need_tools "deliveries into an S3-compatible bucket" ffmpeg xxhsum age jq node npm curl
cli_tmp s3
on_fail() { tail -n 15 "$tmp/worker.log" >&2 2>/dev/null || true; }
[ -d "$top/tests/s3/node_modules/s3rver" ] || npm ci --prefix "$top/tests/s3" --no-audit --no-fund >/dev/null

# The bucket's server, and a second one that damages every part number 1 it receives.
s3start() { # name args...; sets $port (started here, not in a subshell, so the exit stops it)
	local name=$1; shift
	node "$top/tests/s3/s3-server.mjs" 0 "$tmp/$name" "$@" >"$tmp/$name.log" 2>&1 &
	cli_track $!
	for _ in $(seq 100); do grep -qs "^port " "$tmp/$name.log" && break; sleep 0.1; done
	port=$(sed -n 's/^port //p' "$tmp/$name.log")
}
s3start s3 --bucket dailies --bucket vault --key AKSETPOST:s3cret-key
s3=http://127.0.0.1:$port
s3start s3bad --bucket dailies --key AKSETPOST:s3cret-key --corrupt-part 1
bad=http://127.0.0.1:$port
# A slow bucket: part 1 answered 5 s after its bytes came, every other part 1.5 s.
s3start s3slow --bucket dailies --key AKSETPOST:s3cret-key --part-delay 1:5000 --part-delay '*:1500'
slow=http://127.0.0.1:$port
# A bucket under load: part 2 answered 503 SlowDown twice.
s3start s3flaky --bucket dailies --key AKSETPOST:s3cret-key --fail-part 2:2
flaky=http://127.0.0.1:$port
[[ $s3 =~ :[0-9]+$ && $bad =~ :[0-9]+$ ]] || fail "the S3 server did not start: $(cat "$tmp/s3.log")"
# An independent reader: curl's own SigV4 (not setpost's code).
s3get() { curl -sS --fail --aws-sigv4 "aws:amz:us-east-1:s3" --user AKSETPOST:s3cret-key \
	-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "$@"; }

cli_site cart --outbound-allow 127.0.0.1/32
cart=$url
export SETPOST_DATABASE_URL=$CLI_DB
export SETPOST_TOKEN=$("$bin" token create --role admin --name dit | tail -n 1)
worker() { # a worker with a short lease, so a dead one's job is taken again soon
	SETPOST_LEASE=3 cli_worker "$tmp/worker" --slots 2 --data "$tmp/cart" --outbound-allow 127.0.0.1/32
	wpid=$worker_pid
}
worker
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" "$cart$@"; }

# A real card: two ProRes clips, and a large camera-raw file (random bytes) to kill a worker in.
bash "$top/tests/fixtures/make-qc-clips.sh" "$tmp/fx" >/dev/null 2>&1
mkdir -p "$tmp/cards/A001R1AB" "$tmp/raid" "$tmp/shuttle"
cp "$tmp/fx/A001R1AB/A001C001_250101_R1AB.mov" "$tmp/fx/A001R1AB/A001C002_250101_R1AB.mov" "$tmp/cards/A001R1AB/"
head -c 48000000 /dev/urandom >"$tmp/cards/A001R1AB/A001C003_250101_R1AB.R3D"
cli_mount "$tmp/raid" 160m || fail "mount raid"
cli_mount "$tmp/shuttle" 160m || fail "mount shuttle"
"$bin" offload "$tmp/cards/A001R1AB" --to "$tmp/raid" --to "$tmp/shuttle" --register "$cart" \
	--production Feature --day 2026-12-07 --no-progress >"$tmp/offload.out" 2>&1 ||
	fail "offload: $(cat "$tmp/offload.out")"
grep -q "safe to format: YES" "$tmp/offload.out" || fail "offload: $(cat "$tmp/offload.out")"
card=$(api /api/v1/cards | jq -r '.items[0].id')
files=$(api "/api/v1/cards/$card")
fid() { # clip name: its file's id
	local clip
	clip=$(jq -r --arg n "$1" '.clips[] | select(.name == $n) | .id' <<<"$files")
	api "/api/v1/clips/$clip" | jq -r '.files[0].id'
}
small=$(fid A001C001_250101_R1AB)
big=$(fid A001C003_250101_R1AB)
[[ $small =~ ^[0-9]+$ && $big =~ ^[0-9]+$ ]] || fail "the card's files: $files"
ok "a card offloaded and registered (files $small and $big)"

# Targets of kind s3: refused when incomplete (nothing made), made with sealed credentials.
before=$(api /api/v1/targets | jq '.items | length')
r=$(api /api/v1/targets -d "{\"production_id\":1,\"name\":\"Half\",\"kind\":\"s3\",\"url\":\"$s3\",\"s3\":{\"region\":\"us-east-1\",\"bucket\":\"dailies\"}}")
jq -e '.error.code == "invalid" and (.error.message | test("credentials"))' <<<"$r" >/dev/null || fail "an s3 target without credentials: $r"
[ "$(api /api/v1/targets | jq '.items | length')" = "$before" ] || fail "a refused target was made"
target() { # name url bucket key-id secret [extra json]
	api /api/v1/targets -d "{\"production_id\":1,\"name\":\"$1\",\"kind\":\"s3\",\"url\":\"$2\",
		\"s3\":{\"region\":\"us-east-1\",\"bucket\":\"$3\",\"prefix\":\"in/\",\"path_style\":true},
		\"credentials\":{\"access_key_id\":\"$4\",\"secret_access_key\":\"$5\"}${6:-}}"
}
t=$(target Bucket "$s3" dailies AKSETPOST s3cret-key)
tplain=$(jq -r .id <<<"$t")
[[ $tplain =~ ^[0-9]+$ ]] && jq -e '.kind == "s3" and .credentials == true and (tostring | test("s3cret") | not)' <<<"$t" >/dev/null ||
	fail "an s3 target: $t"
api /api/v1/targets | grep -q s3cret && fail "GET /api/v1/targets shows the secret key"
"$bin" keygen -o "$tmp/post.key" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$tmp/post.key")
tvault=$(target Vault "$s3" vault AKSETPOST s3cret-key ",\"recipient\":\"$recipient\"" | jq -r .id)
tslow=$(target Slow "$s3" dailies AKSETPOST s3cret-key ',"bandwidth_limit":3000000' | jq -r .id)
tcreds=$(target Creds "$s3" dailies AKSETPOST wrong-secret | jq -r .id)
tkeyid=$(target KeyId "$s3" dailies AKNOBODY s3cret-key | jq -r .id)
tnobucket=$(target NoBucket "$s3" nosuchbucket AKSETPOST s3cret-key | jq -r .id)
tdamage=$(target Damage "$bad" dailies AKSETPOST s3cret-key | jq -r .id)
tlate=$(target Late "$slow" dailies AKSETPOST s3cret-key | jq -r .id)
tflaky=$(target Flaky "$flaky" dailies AKSETPOST s3cret-key | jq -r .id)
ok "POST /api/v1/targets kind s3: credentials sealed (never shown), an incomplete one refused with nothing made"

deliver() { api /api/v1/deliveries -d "{\"target_id\":$1,\"file_id\":$2}" | jq -r .id; }
ended() { # delivery-id seconds; sets row
	until_api "$2" ".items[] | select(.id == $1) | .state == \"delivered\" or .state == \"failed\"" /api/v1/deliveries ||
		fail "delivery $1 never ended: $(jq -c ".items[] | select(.id == $1)" <<<"$got"); the worker's last lines: $(tail -n 15 "$tmp/worker.log"); running: $(api "/api/v1/jobs?state=running" | jq -c '[.items[] | {id, kind, progress_text, lease_until, worker, attempts}]'); queued: $(api "/api/v1/jobs?state=queued" | jq -c '[.items[] | {id, kind, run_after, last_error}]'); the damaging bucket: $(tail -n 5 "$tmp/s3bad.log"); the worker's threads: $(for t in /proc/$wpid/task/*; do echo "$(cat $t/comm) $(cat $t/wchan)"; done | tr '\n' ',')"
	row=$(jq -c ".items[] | select(.id == $1)" <<<"$got")
}
src="$tmp/raid/A001R1AB/A001C001_250101_R1AB.mov"
[ -f "$src" ] || src=$(find "$tmp/raid" -name A001C001_250101_R1AB.mov | head -1)
xxh=$(xxhsum -H1 "$src" | cut -d' ' -f1)

# 1. Plain: delivered, and the object read back by curl is the original.
d=$(deliver "$tplain" "$small")
ended "$d" 60
jq -e --arg x "$xxh" '.state == "delivered" and .receipt.kind == "s3" and .receipt.xxh64 == $x and .receipt.encrypted == false' <<<"$row" >/dev/null ||
	fail "plain delivery: $row"
key=$(jq -r .receipt.key <<<"$row")
[ "$key" = "in/Feature/2026-12-07/A001R1AB/A001C001_250101_R1AB.mov" ] || fail "object key $key"
s3get "$s3/dailies/$key" -o "$tmp/back.mov" || fail "GET the object back"
cmp "$src" "$tmp/back.mov" || fail "the object differs from the original"
s3get -I "$s3/dailies/$key" | grep -qi "x-amz-meta-xxh64: $xxh" || fail "no xxh64 metadata on the object"
ok "an original into the bucket: delivered after HEAD showed size and xxh64 $xxh; curl --aws-sigv4 reads back the same bytes at $key"

# 2. Encrypted: the object is age ciphertext that Debian's age decrypts to the original.
d=$(deliver "$tvault" "$small")
ended "$d" 60
jq -e '.state == "delivered" and .receipt.encrypted == true' <<<"$row" >/dev/null || fail "encrypted delivery: $row"
s3get "$s3/vault/$key.age" -o "$tmp/back.age" || fail "GET the encrypted object"
cmp -s "$src" "$tmp/back.age" && fail "the encrypted object is the plaintext"
age -d -i "$tmp/post.key" -o "$tmp/back2.mov" "$tmp/back.age" || fail "age does not decrypt the object"
cmp "$src" "$tmp/back2.mov" || fail "decrypted object differs"
ok "with a recipient: the object ($key.age) is age ciphertext that Debian's age decrypts to the original"

# 3. kill -9 of the worker mid-upload; the next worker resumes the same multipart upload.
bigsize=$(stat -c %s "$(find "$tmp/raid" -name A001C003_250101_R1AB.R3D | head -1)")
d=$(deliver "$tslow" "$big")
until_api 60 ".items[] | select(.id == $d) | .bytes_sent >= 20000000" /api/v1/deliveries ||
	fail "the slow delivery did not get going: $(jq -c ".items[] | select(.id == $d)" <<<"$got")"
kill -9 "$wpid"
sent_before=$(api /api/v1/deliveries | jq ".items[] | select(.id == $d) | .bytes_sent")
worker
ended "$d" 90
jq -e '.state == "delivered" and .receipt.resumed_at > 0 and .receipt.parts >= 2' <<<"$row" >/dev/null || fail "after kill -9: $row"
upload=$(jq -r .receipt.upload_id <<<"$row")
creates=$(grep -c '"method":"POST","path":"/dailies/in/Feature/2026-12-07/A001R1AB/A001C003_250101_R1AB.R3D","status":200,"bytes":0}' "$tmp/s3.log" || true)
# Every UploadPart started for this upload, the one cut off by the kill included.
put=$(grep "\"upload\":\"$upload\"" "$tmp/s3.log" | jq -s '[.[] | select(.method == "PUT") | .bytes] | add')
resent=$((put - bigsize))
[ "$creates" = 1 ] || fail "the upload was created $creates times"
[ "$resent" -ge 0 ] && [ "$resent" -le $((32 * 1048576)) ] && [ "$resent" -lt "$bigsize" ] ||
	fail "after kill -9: $put part bytes sent for $bigsize"
s3get "$s3/dailies/in/Feature/2026-12-07/A001R1AB/A001C003_250101_R1AB.R3D" | cmp - "$(find "$tmp/raid" -name A001C003_250101_R1AB.R3D | head -1)" ||
	fail "the resumed object differs"
ok "kill -9 at $sent_before of $bigsize bytes: resumed after ListParts at $(jq .receipt.resumed_at <<<"$row"), one multipart upload, $resent bytes sent again; the object is the file"

most=$(grep "\"upload\":\"$upload\"" "$tmp/s3.log" | jq -s '[.[] | .inflight // 0] | max')
[ "$most" = 1 ] || fail "under a bandwidth cap $most parts were on the wire at once"

# 3b. No cap: parts on the wire together, finishing out of order. Killed when the slow bucket
# has answered parts 2-4 but not part 1: the next worker keeps none of them (a resumed upload
# trusts the parts from 1 on) and sends from part 1 again, into the same multipart upload.
d=$(deliver "$tlate" "$big")
for _ in $(seq 300); do
	[ "$(grep '"method":"PUT"' "$tmp/s3slow.log" | jq -s '[.[] | select(.status == 200 and .part >= 2 and .part <= 4)] | length')" -ge 3 ] && break
	sleep 0.1
done
sleep 0.5
grep '"method":"PUT"' "$tmp/s3slow.log" | jq -e -s '[.[] | select(.part == 1 and .status == 200)] | length == 0' >/dev/null ||
	fail "part 1 was answered before the kill: $(cat "$tmp/s3slow.log")"
kill -9 "$wpid"
worker
ended "$d" 120
jq -e '.state == "delivered" and .receipt.resumed_at == 0 and .receipt.parts >= 2' <<<"$row" >/dev/null || fail "out of order, after kill -9: $row"
upload=$(jq -r .receipt.upload_id <<<"$row")
creates=$(grep -c '"method":"POST","path":"/dailies/in/Feature/2026-12-07/A001R1AB/A001C003_250101_R1AB.R3D","status":200,"bytes":0}' "$tmp/s3slow.log" || true)
[ "$creates" = 1 ] || fail "out of order: the upload was created $creates times"
most=$(grep "\"upload\":\"$upload\"" "$tmp/s3slow.log" | jq -s '[.[] | .inflight // 0] | max')
[ "$most" -ge 3 ] || fail "at most $most parts on the wire at once without a cap"
s3get "$slow/dailies/in/Feature/2026-12-07/A001R1AB/A001C003_250101_R1AB.R3D" | cmp - "$(find "$tmp/raid" -name A001C003_250101_R1AB.R3D | head -1)" ||
	fail "the object resumed after out-of-order parts differs"
ok "no cap: $most parts on the wire at once; killed with parts 2-4 taken and part 1 not: sent again from part 1 in the same upload, the object is the file"

# 3c. A part the bucket answers 503 SlowDown: tried again after a back-off, the others going on.
d=$(deliver "$tflaky" "$big")
ended "$d" 90
jq -e --argjson n "$bigsize" '.state == "delivered" and .receipt.parts >= 2 and .receipt.sent > $n' <<<"$row" >/dev/null ||
	fail "503 on part 2: $row"
codes=$(grep '"part":2,' "$tmp/s3flaky.log" | jq -s -c '[.[] | select(.method == "PUT") | .status]')
[ "$codes" = "[503,503,200]" ] || fail "part 2 answered $codes"
s3get "$flaky/dailies/in/Feature/2026-12-07/A001R1AB/A001C003_250101_R1AB.R3D" | cmp - "$(find "$tmp/raid" -name A001C003_250101_R1AB.R3D | head -1)" ||
	fail "the object after 503s differs"
ok "part 2 answered 503 SlowDown twice: sent again after a back-off ($(jq .receipt.sent <<<"$row") bytes sent for $bigsize), delivered whole"

# 4. Failures: each `failed` with its reason, never delivered.
d1=$(deliver "$tdamage" "$small"); d2=$(deliver "$tcreds" "$small"); d3=$(deliver "$tkeyid" "$small"); d4=$(deliver "$tnobucket" "$small")
ended "$d1" 60
jq -e '.state == "failed" and (.error | test("UploadPart 1: the bucket refused its checksum 3 times.*BadDigest"))' <<<"$row" >/dev/null ||
	fail "a damaged part: $row"
ok "a part the bucket refuses for its checksum (sent 3 times): failed: $(jq -r .error <<<"$row")"
ended "$d2" 60
jq -e '.state == "failed" and (.error | test("403 SignatureDoesNotMatch.*credentials"))' <<<"$row" >/dev/null || fail "wrong secret: $row"
ok "a wrong secret key: failed: $(jq -r .error <<<"$row")"
ended "$d3" 60
jq -e '.state == "failed" and (.error | test("403 InvalidAccessKeyId"))' <<<"$row" >/dev/null || fail "wrong key id: $row"
ok "an unknown access key id: failed: $(jq -r .error <<<"$row")"
ended "$d4" 60
jq -e '.state == "failed" and (.error | test("404 NoSuchBucket"))' <<<"$row" >/dev/null || fail "missing bucket: $row"
ok "a missing bucket: failed: $(jq -r .error <<<"$row")"
n=$(api /api/v1/deliveries | jq "[.items[] | select(.state == \"delivered\" and (.target_id == $tdamage or .target_id == $tcreds or .target_id == $tkeyid or .target_id == $tnobucket))] | length")
[ "$n" = 0 ] || fail "$n failing deliveries are delivered"

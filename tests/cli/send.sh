#!/bin/bash
# Black-box test of `setpost send` against the reference tus server (@tus/server + FileStore,
# tests/interop/tus-server.mjs): what is stored decrypts with Debian's age to the original,
# the metadata is right, interrupted uploads resume the same encrypted stream, expired or
# removed uploads are replaced, failures are retried, and errors are one line with exit 1.
#   tests/cli/send.sh build/setpost
set -euo pipefail
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
[ -d "$top/tests/interop/node_modules/@tus/server" ] ||
	npm ci --prefix "$top/tests/interop" --no-audit --no-fund >/dev/null
sp=$(realpath "${1:?usage: $0 PATH_TO_SETPOST}")
for tool in age age-keygen xxhsum node; do
	command -v "$tool" >/dev/null || { echo "send.sh: $tool is required" >&2; exit 1; }
done
cli_tmp send
cd "$tmp"


# Polls a shell condition for up to $2 seconds (default 10).
wait_until() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		eval "$1" && return 0
		sleep 0.1
	done
	return 1
}

# start_server NAME [flags]: a tus server storing into ./NAME, logging to NAME.log; sets $port.
start_server() {
	local name=$1
	shift
	mkdir -p "$name"
	node "$top/tests/interop/tus-server.mjs" 0 "$name" "$@" >"$name.log" 2>"$name.err" &
	server_pid=$!
	cli_track "$server_pid"
	wait_until "grep -qs '^port ' $name.log" || fail "tus server $name did not start: $(cat "$name.err")"
	port=$(awk '/^port /{print $2; exit}' "$name.log")
}

# Runs a command that must fail with exactly one "setpost send: " line on stderr.
must_fail() {
	if "$@" 2>err.txt >out.txt; then fail "$* succeeded"; fi
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "$*: stderr is not one line: $(cat err.txt)"
	grep -q "^setpost send: " err.txt || fail "$*: bad stderr: $(cat err.txt)"
}

url_of() { sed -n 's/^complete //p' "$1" | tail -n 1; }
id_of() { basename "$1"; }
meta() { node -p "JSON.parse(require('fs').readFileSync('$1.json')).metadata['$2'] ?? ''"; }
# Highest Upload-Offset a 204 PATCH of upload ID got in LOG.
confirmed() {
	grep "\"url\":\"/files/$2\"" "$1" | grep '"method":"PATCH"' | grep '"status":204' |
		sed 's/.*"upload_offset":"\([0-9]*\)".*/\1/' | sort -n | tail -n 1
}
# The decrypted upload must be the file.
check_decrypts() { age -d -i key.txt "$1" | cmp -s - "$2" || fail "$1 does not decrypt to $2"; }

age-keygen -o key.txt 2>/dev/null
pub=$(age-keygen -y key.txt)
"$sp" keygen -o our.key 2>/dev/null
our_pub=$(age-keygen -y our.key)

# ---- sizes: decrypt with age, metadata, Authorization on every request ----
start_server store
plain=$port
to="http://127.0.0.1:$plain/files"

# The reference client agrees with the reference server (so the server is plain tus).
head -c 300000 /dev/urandom >js.bin
(cd "$top/tests/interop" && node --input-type=module -e '
import fs from "node:fs";
import { Upload } from "tus-js-client";
const [file, endpoint] = process.argv.slice(1);
const data = fs.readFileSync(file);
await new Promise((resolve, reject) => {
	const up = new Upload(data, {
		endpoint, chunkSize: 100000, metadata: { filename: "js.bin" },
		onError: reject, onSuccess() { console.log(up.url); resolve(); },
	});
	up.start();
});
' "$tmp/js.bin" "$to") >js.url 2>js.err || fail "tus-js-client upload: $(cat js.err)"
cmp -s js.bin "store/$(id_of "$(cat js.url)")" || fail "tus-js-client upload stored wrong"
ok "tus-js-client uploads to the reference server"
for size in 0 1 65536 65537 20000000; do
	head -c "$size" /dev/urandom >"f$size.mov"
	"$sp" send "f$size.mov" --to "$to" --recipient "$pub" -r "$our_pub" --data data \
		-H "Authorization: Bearer t0k3n" >"send$size.out" 2>"send$size.err" ||
		fail "send of $size bytes: $(cat "send$size.err")"
	[ ! -s "send$size.err" ] || fail "send of $size bytes wrote to stderr: $(cat "send$size.err")"
	url=$(url_of "send$size.out")
	grep -qx "upload $url" "send$size.out" || fail "no upload line for $size bytes"
	id=$(id_of "$url")
	check_decrypts "store/$id" "f$size.mov"
	age -d -i our.key "store/$id" | cmp -s - "f$size.mov" || fail "second recipient, $size bytes"
	[ "$(meta "store/$id" size)" = "$size" ] || fail "size metadata for $size bytes"
	[ "$(meta "store/$id" xxh64)" = "$(xxhsum -H1 "f$size.mov" | cut -d' ' -f1)" ] ||
		fail "xxh64 metadata for $size bytes"
	[ "$(meta "store/$id" filename)" = "f$size.mov" ] || fail "filename metadata"
	[ "$(meta "store/$id" clip)" = "f$size" ] || fail "clip metadata"
	[ "$(meta "store/$id" encryption)" = age ] || fail "encryption metadata"
	n=$(grep -c "\"url\":\"/files/$id\"" store.log)
	[ "$(grep "\"url\":\"/files/$id\"" store.log | grep -c '"auth":"Bearer t0k3n"')" = "$n" ] ||
		fail "Authorization missing on some requests of the $size-byte upload"
	ok "send $size bytes: age -d gives the original; size, xxh64, filename, clip metadata"
done
grep '^sent ' send20000000.out | sed 's/^/   20 MB: /'

# Run again after completion: a HEAD, nothing sent, the same URL.
url=$(url_of send65537.out)
"$sp" send f65537.mov --to "$to" -r "$pub" -r "$our_pub" --data data >again.out 2>&1 ||
	fail "send again: $(cat again.out)"
[ "$(url_of again.out)" = "$url" ] || fail "send again gave another URL"
grep -q '^sent 0 of ' again.out || fail "send again sent bytes: $(cat again.out)"
ok "a completed upload is checked, not sent twice"

# --meta: extra keys, and clip may be overridden; size may not. Other recipients than the
# saved upload's: that upload is terminated (DELETE) and a new one made.
old=$(id_of "$(url_of send1.out)")
"$sp" send f1.mov --to "$to" -r "$pub" --data data --meta project=Nightfall \
	--meta clip=A001C003 >meta.out
grep -q "^note: the saved upload was encrypted to other recipients" meta.out ||
	fail "recipients change: $(cat meta.out)"
[ ! -e "store/$old" ] && grep -q "\"method\":\"DELETE\",\"url\":\"/files/$old\"" store.log ||
	fail "the old upload was not terminated"
id=$(id_of "$(url_of meta.out)")
[ "$(meta "store/$id" project)" = Nightfall ] && [ "$(meta "store/$id" clip)" = A001C003 ] ||
	fail "--meta values"
must_fail "$sp" send f1.mov --to "$to" -r "$pub" --data data --meta size=3
ok "--meta adds keys and overrides clip, not size; new recipients replace the old upload"

# ---- the state: sealed params, private files ----
state=$(grep -l "^file $tmp/f65537.mov\$" data/send/*.state)
[ "$(stat -c %a "$state")" = 600 ] || fail "state mode $(stat -c %a "$state")"
[ "$(stat -c %a data/keys/server.key)" = 600 ] && [ "$(stat -c %s data/keys/server.key)" = 32 ] ||
	fail "server.key mode or size"
node -e '
const fs = require("fs");
const [state, upload] = process.argv.slice(1);
const text = fs.readFileSync(state, "utf8");
const blob = Buffer.from(text.split("\n").find((l) => l.startsWith("params ")).slice(7), "base64");
const up = fs.readFileSync(upload);
const end = up.indexOf("\n", up.indexOf("\n--- ") + 1) + 1;
const header = up.subarray(0, end), nonce = up.subarray(end, end + 16);
const bad = (what) => { console.error(what); process.exit(1); };
if (text.includes("age-encryption.org")) bad("state holds the header in clear");
for (const [name, part] of [["header", header.subarray(0, 21)], ["stanza", header.subarray(22, 60)],
	["payload nonce", nonce]]) if (blob.indexOf(part) >= 0) bad(`sealed params hold the ${name} in clear`);
if (blob.length < header.length + 32 + 40) bad(`sealed params too short: ${blob.length}`);
' "$state" "store/$(id_of "$url")" || fail "the state holds age params in clear"
cp data/keys/server.key server.key.saved
head -c 32 /dev/urandom >data/keys/server.key
must_fail "$sp" send f65537.mov --to "$to" -r "$pub" -r "$our_pub" --data data
grep -q "cannot open" err.txt || fail "wrong server key: $(cat err.txt)"
cp server.key.saved data/keys/server.key
ok "state and key are 0600; params are sealed; another server key cannot open them"

# A removed upload (404) is replaced by a new one with the same params.
rm "store/$(id_of "$url")" "store/$(id_of "$url").json"
"$sp" send f65537.mov --to "$to" -r "$pub" -r "$our_pub" --data data >gone.out 2>&1 ||
	fail "send after removal: $(cat gone.out)"
grep -q "answered HTTP 404; starting a new upload" gone.out || fail "no 404 note: $(cat gone.out)"
new=$(url_of gone.out)
[ "$new" != "$url" ] || fail "a removed upload was not replaced"
check_decrypts "store/$(id_of "$new")" f65537.mov
ok "a removed upload (404) is replaced and completes"

# ---- interruption: kill -9 mid-upload, run again ----
chunk=1048576
head -c 20000000 /dev/urandom >big.mov
"$sp" send big.mov --to "$to" -r "$pub" --data kill --chunk-size 1M --limit-rate 2M \
	>kill1.out 2>&1 &
victim=$!
wait_until "grep -qs '^upload ' kill1.out" || fail "no upload started: $(cat kill1.out)"
id=$(id_of "$(sed -n 's/^upload //p' kill1.out)")
wait_until "[ \"\$(confirmed store.log $id)\" -ge $((3 * chunk)) ] 2>/dev/null" 20 ||
	fail "the slow upload made no progress"
kill -9 "$victim"
{ wait "$victim"; } 2>/dev/null || true
before=$(confirmed store.log "$id")
"$sp" send big.mov --to "$to" -r "$pub" --data kill --chunk-size 1M >kill2.out 2>&1 ||
	fail "resume: $(cat kill2.out)"
grep -qx "resume http://127.0.0.1:$plain/files/$id" kill2.out || fail "did not resume: $(cat kill2.out)"
[ "$(id_of "$(url_of kill2.out)")" = "$id" ] || fail "resume changed the URL"
read -r sent length at < <(sed -n 's/^sent \([0-9]*\) of \([0-9]*\) bytes (resumed at \([0-9]*\)).*/\1 \2 \3/p' kill2.out) ||
	fail "no sent line: $(cat kill2.out)"
[ "$at" -ge "$before" ] || fail "resumed at $at, before the $before bytes already confirmed"
[ "$sent" -eq $((length - at)) ] || fail "the resumed run sent $sent bytes for $((length - at))"
check_decrypts "store/$id" big.mov
ok "kill -9 at $before confirmed bytes; resumed at $at, sent $sent: at most one chunk again"
# The same state without the URL: a fresh, uninterrupted upload of the same params.
sed -i '/^url /d; /^done$/d' kill/send/*.state
"$sp" send big.mov --to "$to" -r "$pub" --data kill >fresh.out 2>&1 || fail "fresh: $(cat fresh.out)"
fresh=$(id_of "$(url_of fresh.out)")
[ "$fresh" != "$id" ] || fail "no fresh upload"
cmp -s "store/$id" "store/$fresh" || fail "the resumed ciphertext differs from an uninterrupted one"
ok "the resumed upload is byte-identical to an uninterrupted one with the same params"

# Ctrl-C: stops cleanly (exit 1, one line), and the next run resumes.
head -c 3000000 /dev/urandom >int.mov
"$sp" send int.mov --to "$to" -r "$pub" --data int --chunk-size 256K --limit-rate 1M \
	>int1.out 2>int1.err &
victim=$!
wait_until "grep -qs '^upload ' int1.out" || fail "no upload started"
id=$(id_of "$(sed -n 's/^upload //p' int1.out)")
wait_until "[ -n \"\$(confirmed store.log $id)\" ]" || fail "no progress"
kill -INT "$victim"
if wait "$victim"; then fail "an interrupted send exited 0"; fi
[ "$(wc -l <int1.err)" -eq 1 ] && grep -q "^setpost send: interrupted" int1.err ||
	fail "interrupt message: $(cat int1.err)"
"$sp" send int.mov --to "$to" -r "$pub" --data int >int2.out 2>&1 || fail "after ^C: $(cat int2.out)"
[ "$(id_of "$(url_of int2.out)")" = "$id" ] || fail "^C: not resumed"
check_decrypts "store/$id" int.mov
ok "SIGINT stops with one line and exit 1; the next run resumes"

# ---- retries and checksums: 503 and 460 injected ----
start_server sums --checksum --fail 503@2,460@3
head -c 3000000 /dev/urandom >sums.mov
"$sp" send sums.mov --to "http://127.0.0.1:$port/files" -r "$pub" --data data --chunk-size 1M \
	>sums.out 2>&1 || fail "checksum send: $(cat sums.out)"
id=$(id_of "$(url_of sums.out)")
check_decrypts "sums/$id" sums.mov
grep -q ', sha1 checksums$' sums.out || fail "no checksums used: $(cat sums.out)"
[ "$(grep '"method":"PATCH"' sums.log | grep -vc '"checksum":"sha1 ')" = 0 ] ||
	fail "a PATCH without Upload-Checksum"
grep -q '"status":503' sums.log && grep -q '"status":460' sums.log || fail "no injected failures"
[ "$(grep '"method":"PATCH"' sums.log | grep -c '"status":204')" = 3 ] || fail "PATCH count"
grep -q ', 2 retries, sha1 checksums$' sums.out || fail "retry count: $(cat sums.out)"
ok "Upload-Checksum sha1 on every PATCH; 503 and 460 retried after HEAD"

# ---- expiry: the upload expires while interrupted, a new one is made ----
start_server exp --expire-ms 3000
head -c 1000000 /dev/urandom >exp.mov
"$sp" send exp.mov --to "http://127.0.0.1:$port/files" -r "$pub" --data exp --chunk-size 64K \
	--limit-rate 200K >exp1.out 2>&1 &
victim=$!
wait_until "grep -qs '^upload ' exp1.out" || fail "no upload started"
old=$(id_of "$(sed -n 's/^upload //p' exp1.out)")
wait_until "[ -n \"\$(confirmed exp.log $old)\" ]" || fail "no progress"
kill -9 "$victim"
{ wait "$victim"; } 2>/dev/null || true
sleep 3.2
"$sp" send exp.mov --to "http://127.0.0.1:$port/files" -r "$pub" --data exp >exp2.out 2>&1 ||
	fail "after expiry: $(cat exp2.out)"
grep -q "answered HTTP 410; starting a new upload" exp2.out || fail "no 410 note: $(cat exp2.out)"
id=$(id_of "$(url_of exp2.out)")
[ "$id" != "$old" ] || fail "the expired upload was reused"
check_decrypts "exp/$id" exp.mov
ok "an expired upload (410) is replaced by a new one that completes"

# ---- errors: one line on stderr, exit 1 ----
must_fail "$sp" send f1.mov --to "http://127.0.0.1:$plain/nope" -r "$pub" --data data
grep -q "HTTP 404" err.txt || fail "wrong URL: $(cat err.txt)"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
must_fail "$sp" send exp.mov --to "http://127.0.0.1:$port/files" -r "$pub" --data down --retries 1
grep -q "gave up after 2 tries" err.txt || fail "server down: $(cat err.txt)"
must_fail "$sp" send f1.mov --to "$to" --data data
must_fail "$sp" send f1.mov --to "$to" -r age1notakey --data data
must_fail "$sp" send f1.mov -r "$pub" --data data
must_fail "$sp" send missing.mov --to "$to" -r "$pub" --data data
must_fail "$sp" send f1.mov --to "$to" -r "$pub" --data data -H "no colon"
must_fail "$sp" send f1.mov --to "$to" -r "$pub" --data data --limit-rate fast
must_fail "$sp" send f1.mov --to "$to" -r "$pub" --data data --xxh64 12345
grep -q -- "--xxh64 12345: expected 16 hex digits" err.txt || fail "bad --xxh64: $(cat err.txt)"
ok "wrong URL, server down, bad arguments: exit 1 and one line on stderr"
echo "send.sh: all passed"

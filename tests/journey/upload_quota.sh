#!/usr/bin/env bash
# Issue 14: a post token cannot fill the receiver's disk with uploads it never finishes. Each
# unfinished upload holds its Upload-Length; past --upload-quota-token (per token) or
# --upload-quota-total (all tokens) a tus creation gets 507 before a byte is stored, and so does
# one longer than the disk's free space; a body longer than its Upload-Length gets 413 and
# nothing past the length is written. Real tus requests over HTTP, two post tokens.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=${1:-${SETPOST_BIN:-}}
cli_journey journey_quota
mkdir -p "$tmp/uploads"
cli_serve "$tmp/serve" --data "$tmp/data" --uploads "$tmp/uploads" \
	--upload-quota-token 1000 --upload-quota-total 1500 --upload-max 1125899906842624
pid=$serve_pid
lab=$("$bin" token create --role post --name lab | tail -n 1)
vfx=$("$bin" token create --role post --name vfx | tail -n 1)

# create TOKEN LENGTH [body-file]: prints "status location", the answer's body in $tmp/body
create() {
	local tok=$1 len=$2 body=${3:-} h="$tmp/h.$BASHPID" s
	if [ -n "$body" ]; then
		s=$(curl -s -D "$h" -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $tok" \
			-H "Tus-Resumable: 1.0.0" -H "Upload-Length: $len" \
			-H "Content-Type: application/offset+octet-stream" --data-binary "@$body" "$url/api/v1/uploads/")
	else
		s=$(curl -s -D "$h" -o "$tmp/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" \
			-H "Tus-Resumable: 1.0.0" -H "Upload-Length: $len" "$url/api/v1/uploads/")
	fi
	echo "$s $(sed -n 's/^location: *\([^[:space:]]*\).*/\1/Ip' "$h")"
}
uploads() { psql -At "$SETPOST_DATABASE_URL" -c "SELECT count(*) FROM uploads"; }
stored() { find "$tmp/uploads" -type f | wc -l; }

read -r s lab1 < <(create "$lab" 600)
[ "$s" = 201 ] && [ -n "$lab1" ] || fail "the first upload of 600 bytes: $s $(cat "$tmp/body")"
n=$(uploads); f=$(stored)
read -r s _ < <(create "$lab" 600)
[ "$s" = 507 ] || fail "600 more for the same token (quota 1000): $s $(cat "$tmp/body")"
jq -e '.error.code == "quota_exceeded" and (.error.message | test("--upload-quota-token"))' "$tmp/body" >/dev/null ||
	fail "says which quota: $(cat "$tmp/body")"
head -c 600 /dev/urandom >"$tmp/600"
read -r s _ < <(create "$lab" 600 "$tmp/600")
[ "$s" = 507 ] || fail "creation-with-upload over the token's quota: $s $(cat "$tmp/body")"
[ "$(uploads)" = "$n" ] && [ "$(stored)" = "$f" ] || fail "a refused creation left an upload or a file behind"
ok "a token past its quota (1000 bytes held by unfinished uploads) gets 507, with or without a body, and nothing is stored"

read -r s _ < <(create "$vfx" 1000)
[ "$s" = 507 ] || fail "another token past the total quota (600 + 1000 > 1500): $s $(cat "$tmp/body")"
jq -e '.error.message | test("--upload-quota-total")' "$tmp/body" >/dev/null || fail "$(cat "$tmp/body")"
read -r s vfx1 < <(create "$vfx" 900)
[ "$s" = 201 ] || fail "another token within both quotas: $s $(cat "$tmp/body")"
ok "all tokens together stay under --upload-quota-total (507 past it)"

# Enforced while writing: the reservation is the length; a body past it is 413 and cut.
head -c 700 /dev/urandom >"$tmp/700"
s=$(curl -s -o "$tmp/body" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $lab" \
	-H "Tus-Resumable: 1.0.0" -H "Upload-Offset: 0" -H "Content-Type: application/offset+octet-stream" \
	--data-binary "@$tmp/700" "$url$lab1")
[ "$s" = 413 ] || fail "a body past the reserved length: $s $(cat "$tmp/body")"
big=$(find "$tmp/uploads" -type f -size +600c | wc -l)
[ "$big" = 0 ] || fail "bytes past Upload-Length were stored: $(ls -l "$tmp/uploads")"
ok "a body past its Upload-Length (the reservation) gets 413 and nothing past it is kept"

# Space is given back: a terminated upload holds nothing.
s=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $lab" \
	-H "Tus-Resumable: 1.0.0" "$url$lab1")
[ "$s" = 204 ] || fail "terminate: $s"
read -r s _ < <(create "$lab" 600)
[ "$s" = 201 ] || fail "after terminating, the token has room again: $s $(cat "$tmp/body")"
ok "a terminated upload gives its quota back"

# Longer than the disk's free space (within every quota and --upload-max): 507 no_space.
kill "$pid"; wait "$pid" 2>/dev/null || true
cli_serve "$tmp/serve" --data "$tmp/data" --uploads "$tmp/uploads" \
	--upload-max 1125899906842624 --upload-quota-token 1125899906842624 \
	--upload-quota-total 1125899906842624
pid=$serve_pid
n=$(uploads)
read -r s _ < <(create "$vfx" 562949953421312)
[ "$s" = 507 ] && jq -e '.error.code == "no_space"' "$tmp/body" >/dev/null ||
	fail "512 TiB on this disk: $s $(cat "$tmp/body")"
[ "$(uploads)" = "$n" ] || fail "the refused creation made a row"
ok "an upload longer than the receiver's free space gets 507 no_space at creation"

#!/usr/bin/env bash
# Issue 14, as someone on the set network would try it: every route of the OpenAPI document
# swept with hostile input (tests/journey/hostile_sweep.py) as admin, post, editor and nobody,
# against a real setpost serve and PostgreSQL. Each request gets one JSON answer within the time
# limit, none is a 5xx, and no refusal changes the database.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=${1:-${SETPOST_BIN:-}}
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/sp-hostile.XXXXXX)
db="journey_hostile_$$"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
	psql -q "$SETPOST_TEST_PG" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql -q "$SETPOST_TEST_PG" -c "CREATE DATABASE $db" >/dev/null
export SETPOST_DATABASE_URL="${SETPOST_TEST_PG/dbname=postgres/dbname=$db}"
"$bin" serve --listen 127.0.0.1:0 --data "$tmp/data" >"$tmp/serve.out" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$tmp/serve.out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$tmp/serve.out")
[ -n "$url" ] || fail "server did not start: $(cat "$tmp/serve.log")"
admin=$("$bin" token create --role admin --name cart | tail -n 1)
post=$("$bin" token create --role post --name lab | tail -n 1)
editor=$("$bin" token create --role editor --name bay | tail -n 1)
printf '{"admin":"%s","post":"%s","editor":"%s"}\n' "$admin" "$post" "$editor" >"$tmp/tokens.json"

# Something to point at: a production, a day, a card, a clip, a file (ids 1).
curl -sf -H "Authorization: Bearer $admin" -H "Content-Type: application/json" -d '{"production":"Feature",
 "card":{"label":"A001"},"files":[{"path":"a.mov","size":5,"clip":"A001C001","hashes":{"xxh64":"0ea03b369a463d9d"}}],
 "copies":[{"volume":{"key":"uuid:r","name":"RAID","host":"cart","mount_path":"/mnt/raid"},"files":[{"path":"a.mov",
 "state":"verified","hashes":{"xxh64":"0ea03b369a463d9d"}}]}]}' "$url/api/v1/offloads" >/dev/null ||
	fail "offload registered"

if ! figures=$(python3 "$top/tests/journey/hostile_sweep.py" "$url" "$top/server/openapi.json" \
	"$SETPOST_DATABASE_URL" "$tmp/tokens.json" 2>"$tmp/sweep.err"); then
	cat "$tmp/sweep.err" >&2
	fail "hostile sweep: $figures"
fi
ok "hostile sweep over every route and role: $figures"
kill -0 "$pid" 2>/dev/null || fail "the server died: $(tail -n 20 "$tmp/serve.log")"
ok "the server is still up after the sweep"

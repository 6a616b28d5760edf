#!/usr/bin/env bash
# Issue 14, as someone on the set network would try it: every route of the OpenAPI document
# swept with hostile input (tests/journey/hostile_sweep.py) as admin, post, editor and nobody,
# against a real setpost serve and PostgreSQL. Each request gets one JSON answer within the time
# limit, none is a 5xx, and no refusal changes the database.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=${1:-${SETPOST_BIN:-}}
cli_journey journey_hostile
cli_serve "$tmp/serve" --data "$tmp/data"
pid=$serve_pid
admin=$("$bin" token create --role admin --name cart | tail -n 1)
post=$("$bin" token create --role post --name lab | tail -n 1)
editor=$("$bin" token create --role editor --name bay | tail -n 1)
printf '{"admin":"%s","post":"%s","editor":"%s"}\n' "$admin" "$post" "$editor" >"$tmp/tokens.json"

# Something to point at: a production, a day, a card, a clip, a file (ids 1), its copy under a
# declared volume (issue 21's confinement).
mkdir -p "$tmp/raid"
"$bin" volume add RAID "$tmp/raid" >/dev/null || fail "volume add"
curl -sf -H "Authorization: Bearer $admin" -H "Content-Type: application/json" -d '{"production":"Feature",
 "card":{"label":"A001"},"files":[{"path":"a.mov","size":5,"clip":"A001C001","hashes":{"xxh64":"0ea03b369a463d9d"}}],
 "copies":[{"volume":{"key":"uuid:r","name":"RAID","host":"cart","mount_path":"'"$tmp/raid"'"},"files":[{"path":"a.mov",
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

# Editors and post houses are refused /volumes: they read a file's path on its card, and each
# copy's volume name and state, never where the copy lies on the DIT's volume nor a copy's error
# (which can name host paths). Admins see both.
for who in editor post; do
	tok=$(jq -r ".$who" "$tmp/tokens.json")
	for path in /api/v1/files/1 /api/v1/clips/1; do
		curl -sf -H "Authorization: Bearer $tok" "$url$path" >"$tmp/seen.json" || fail "$who GET $path"
		grep -q "$tmp" "$tmp/seen.json" && fail "$who sees a host path in $path: $(cat "$tmp/seen.json")"
		jq -e '[.. | objects | select(has("volume") and has("state"))] | length > 0 and
			all(has("path") | not) and all(has("error") | not)' "$tmp/seen.json" >/dev/null ||
			fail "$who: copies without path or error in $path: $(jq -c '[.. | objects | select(has("volume"))]' "$tmp/seen.json")"
	done
	jq -e '.path == "a.mov"' <(curl -s -H "Authorization: Bearer $tok" "$url/api/v1/files/1") >/dev/null ||
		fail "$who reads the file's path on its card"
done
curl -sf -H "Authorization: Bearer $admin" "$url/api/v1/files/1" | jq -e '.copies[0].path == "a.mov"' >/dev/null ||
	fail "the admin sees where a copy lies"
curl -sf -H "Authorization: Bearer $admin" "$url/api/v1/clips/1" >/dev/null
curl -sf -H "Authorization: Bearer $editor" "$url/api/v1/clips/1" | jq -e '.files[0].copies[0] | has("path") | not' >/dev/null ||
	fail "the editor's clip page is not the admin's cached one"
ok "editors and post houses see names on the card and copies' volumes and states, not where copies lie on the DIT's volumes"

# Behind a TLS-terminating proxy (--trust-proxy): from the proxy's address, X-Forwarded-Proto:
# https makes the session cookie Secure and adds HSTS, and X-Forwarded-For names the client in
# the log; from anyone else those headers change nothing.
printf 'correct horse battery\n' | "$bin" user add dit --role admin >/dev/null || fail "user add"
login() { # serve-url extra-curl-args...
	local u=$1; shift
	curl -s -D - -o /dev/null -H "Content-Type: application/json" "$@" \
		-d '{"name":"dit","password":"correct horse battery"}' "$u/api/v1/login"
}
h=$(login "$url" -H "X-Forwarded-Proto: https")
grep -qi "^set-cookie:.*secure" <<<"$h" && fail "a header from anyone made the cookie Secure: $h"
grep -qi "^strict-transport-security" <<<"$h" && fail "HSTS from anyone's header: $h"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
url1=$url
cli_serve "$tmp/serve2" --data "$tmp/data" --trust-proxy 127.0.0.1
url2=$url url=$url1
h=$(login "$url2" -H "X-Forwarded-Proto: https")
grep -qi "^set-cookie:.*; secure" <<<"$h" || fail "behind the proxy over https the cookie is Secure: $h"
grep -qi "^strict-transport-security: max-age=" <<<"$h" || fail "HSTS behind the proxy: $h"
h=$(login "$url2")
grep -qi "^set-cookie:.*secure" <<<"$h" && fail "plain http through the proxy: no Secure: $h"
curl -s -o /dev/null -H "Content-Type: application/json" -H "X-Forwarded-For: 6.6.6.6, 203.0.113.7" \
	-d '{"name":"dit","password":"wrong"}' "$url2/api/v1/login"
grep -q "failed login name=dit addr=203.0.113.7" "$tmp/serve2.log" ||
	fail "the client is the address the proxy appended: $(grep 'failed login' "$tmp/serve2.log")"
# 24 wrong passwords at once from 24 clients: every one answered (401 or 429), and no more
# argon2 checks than the budget of 10 a second allows.
t0=$(date +%s)
cpids=()
for i in $(seq 24); do
	curl -s -m 20 -o /dev/null -w '%{http_code}\n' -H "Content-Type: application/json" \
		-H "X-Forwarded-For: 198.18.0.$i" -d '{"name":"dit","password":"wrong"}' \
		"$url2/api/v1/login" >>"$tmp/codes" 2>&1 &
	cpids+=($!)
done
wait "${cpids[@]}"
secs=$(( $(date +%s) - t0 + 1 ))
checked=$(grep -c '^401$' "$tmp/codes" || true)
busy=$(grep -c '^429$' "$tmp/codes" || true)
[ $((checked + busy)) -eq 24 ] || fail "24 logins, each answered 401 or 429: $(sort "$tmp/codes" | uniq -c)"
[ "$checked" -le $((10 * secs)) ] || fail "$checked passwords checked in $secs s: over the budget"
ok "24 parallel logins: $checked checked, $busy told to retry (budget 10/s, 2 at once)"
ok "--trust-proxy: Secure cookie and HSTS only over https through the proxy; X-Forwarded-For names the client"
if "$bin" serve --listen 127.0.0.1:0 --data "$tmp/data" --trust-proxy nginx >/dev/null 2>"$tmp/bad.err"; then
	fail "--trust-proxy with a name started"
fi
grep -q "not an IP address" "$tmp/bad.err" || fail "says why: $(cat "$tmp/bad.err")"
ok "--trust-proxy takes an address, and says so"

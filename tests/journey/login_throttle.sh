#!/usr/bin/env bash
# Issue 14: login throttling a third party cannot turn against the DIT. Behind a trusted proxy
# (--trust-proxy, X-Forwarded-For names each client), an attacker hammers the DIT's name with
# wrong passwords from 20 addresses at once. The DIT's usual browser (the sp_device cookie from
# an earlier login) still gets in at once; a new browser is told to wait (never more than the
# account cap of 60 s) and gets in after the wait; the attack's password checks stay within
# the server's budget. Rotating names from one address is throttled by the same budget.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=${1:-${SETPOST_BIN:-}}
cli_journey journey_login
on_exit() { jobs -p | xargs -r kill 2>/dev/null || true; }    # the attack's clients
cli_serve "$tmp/serve" --data "$tmp/data" --trust-proxy 127.0.0.1 --log-format json
pid=$serve_pid
printf 'correct horse battery\n' | "$bin" user add dit --role admin >/dev/null || fail "user add"

# login FROM-ADDRESS PASSWORD [curl args...]: prints "status retry-after"
login() {
	local from=$1 pw=$2 h="$tmp/h.$BASHPID"; shift 2
	curl -s -m 60 -D "$h" -o "$h.body" -w '%{http_code}' "$@" \
		-H "Content-Type: application/json" -H "X-Forwarded-For: $from" \
		-d '{"name":"dit","password":"'"$pw"'"}' "$url/api/v1/login"
	printf ' %s\n' "$(sed -n 's/^retry-after: *\([0-9]*\).*/\1/Ip' "$h")"
}

read -r s _ < <(login 192.0.2.10 "correct horse battery" -c "$tmp/dit.jar")
[ "$s" = 200 ] || fail "the DIT's first login: $s"
grep -q "sp_device" "$tmp/dit.jar" || fail "a login hands the browser its device cookie: $(cat "$tmp/dit.jar")"
ok "a login hands the browser a device cookie (sp_device, only the login route reads it)"

# --log-format json: one JSON object a line, whatever a client sends (a name with a newline,
# a URL with an escape character).
curl -s -o /dev/null -H "Content-Type: application/json" -H "X-Forwarded-For: 192.0.2.66" \
	-d '{"name":"x\n2026-01-01T00:00:00Z info forged: \"","password":"p"}' "$url/api/v1/login"
curl -s -o /dev/null "$url/api/v1/clips/1%1b%5b31m%0a"
lines=$(wc -l <"$tmp/serve.log")
objects=$(jq -c 'select(type == "object" and has("time") and has("level") and has("where"))' "$tmp/serve.log" | wc -l)
[ "$lines" -gt 3 ] && [ "$lines" = "$objects" ] || fail "$lines log lines, $objects JSON objects: $(head -c 2000 "$tmp/serve.log")"
jq -se 'any(.[]; .where == "access" and .url == "/api/v1/login" and .status == 401 and .addr == "192.0.2.66")' \
	"$tmp/serve.log" >/dev/null || fail "an access line with its fields: $(grep access "$tmp/serve.log" | head -3)"
jq -se 'any(.[]; .level == "warn" and (.msg | startswith("failed login name=x\n2026-01-01T00:00:00Z info forged: \"")))' \
	"$tmp/serve.log" >/dev/null || fail "the failed login line keeps the name inside its JSON string: $(grep failed "$tmp/serve.log")"
ok "--log-format json: $lines lines, each one JSON object; a forged newline stays inside its string"

# The attack: 20 addresses, each sending wrong passwords for the DIT's name as fast as answered.

t0=$(date +%s)
for i in $(seq 20); do
	( while [ ! -e "$tmp/stop" ]; do
		curl -s -m 20 -o /dev/null -w '%{http_code}\n' -H "Content-Type: application/json" \
			-H "X-Forwarded-For: 198.51.100.$i" -d '{"name":"dit","password":"guess'"$i"'"}' \
			"$url/api/v1/login" >>"$tmp/attack.$i" || echo dropped >>"$tmp/attack.$i"
	done ) &
done
sleep 3
# A browser that never logged in as the DIT waits like the attacker, but never past the cap.
read -r s fresh_wait < <(login 192.0.2.20 "correct horse battery")
[ "$s" = 429 ] || fail "under attack, a new browser with the right password: $s (expected 429)"
[ -n "$fresh_wait" ] && [ "$fresh_wait" -ge 1 ] && [ "$fresh_wait" -le 60 ] ||
	fail "Retry-After within the account cap of 60 s: '$fresh_wait'"
# During the attack: the DIT's usual browser gets in, each time, from wherever it is.
for from in 192.0.2.10 192.0.2.99 198.51.100.1; do
	a=$(date +%s.%N)
	read -r s _ < <(login "$from" "correct horse battery" -b "$tmp/dit.jar" -c "$tmp/dit.jar")
	b=$(date +%s.%N)
	[ "$s" = 200 ] || fail "under attack, the DIT's browser from $from got $s: $(cat "$tmp"/h.*.body 2>/dev/null | tail -c 300)"
	echo "$a $b" | awk '{ printf "%.2f\n", $2 - $1 }' >>"$tmp/dit.secs"
done
touch "$tmp/stop"
wait $(jobs -p | grep -v "^$pid\$") 2>/dev/null || true
secs=$(( $(date +%s) - t0 + 1 ))
cat "$tmp"/attack.* >"$tmp/attack"
tried=$(wc -l <"$tmp/attack")
checked=$(grep -c '^401$' "$tmp/attack" || true)
slowed=$(grep -c '^429$' "$tmp/attack" || true)
[ $((checked + slowed)) -eq "$tried" ] || fail "every attempt answered 401 or 429: $(sort "$tmp/attack" | uniq -c)"
[ "$checked" -le $((10 * secs)) ] || fail "$checked passwords checked in $secs s: over the budget of 10/s"
ok "attack of $tried wrong passwords from 20 addresses in $secs s: $checked checked, $slowed refused unchecked; the DIT's browser got in 3 of 3 times (s: $(paste -sd, "$tmp/dit.secs"))"

# The attack over, the new browser waits what it was told and gets in: slowed, never locked out.
read -r s again < <(login 192.0.2.20 "correct horse battery")
if [ "$s" = 429 ]; then
	[ "$again" -le 60 ] || fail "Retry-After past the cap: $again"
	sleep "$again"
	read -r s again < <(login 192.0.2.20 "correct horse battery")
fi
[ "$s" = 200 ] || fail "after the wait, a new browser with the right password: $s (Retry-After $again)"
ok "a new browser was told to wait ${fresh_wait} s (cap 60) during the attack and got in after it"

# Rotating names from one address: 40 names at once, unknown ones cost a check too, so the
# server's budget holds them (and the timing does not tell which names exist).
t0=$(date +%s)
for i in $(seq 40); do
	curl -s -m 20 -o /dev/null -w '%{http_code}\n' -H "Content-Type: application/json" \
		-H "X-Forwarded-For: 203.0.113.5" -d '{"name":"user'"$i"'","password":"guess"}' \
		"$url/api/v1/login" >>"$tmp/rotate" &
done
wait $(jobs -p | grep -v "^$pid\$") 2>/dev/null || true
secs=$(( $(date +%s) - t0 + 1 ))
checked=$(grep -c '^401$' "$tmp/rotate" || true)
slowed=$(grep -c '^429$' "$tmp/rotate" || true)
[ $((checked + slowed)) -eq 40 ] || fail "40 rotated names, each answered 401 or 429: $(sort "$tmp/rotate" | uniq -c)"
[ "$checked" -le $((10 * secs)) ] || fail "$checked rotated names checked in $secs s: over the budget"
ok "40 rotated names at once: $checked checked, $slowed told to retry (budget 10/s)"
kill -0 "$pid" 2>/dev/null || fail "the server died: $(tail -n 20 "$tmp/serve.log")"

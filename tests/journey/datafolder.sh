#!/usr/bin/env bash
# One database (issue 21, item 8): a command run outside the data folder never creates a second
# embedded cluster. It uses the folder it is told (--data, SETPOST_DATA) or the one the last
# `setpost serve` recorded, and otherwise refuses in one line naming the folder it looked in.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cli_tmp datafolder
on_fail() { tail -n 20 "$tmp/serve.log" >&2 || true; }
unset SETPOST_DATABASE_URL SETPOST_DATA XDG_STATE_HOME
export HOME=$tmp/home
mkdir -p "$HOME" "$tmp/elsewhere"

# Before any serve: refused, one line naming the folder, nothing created.
if (cd "$tmp/elsewhere" && "$bin" token create --role admin --name x) >"$tmp/out" 2>"$tmp/err"; then
	fail "token create made a database: $(cat "$tmp/out")"
fi
[[ $(wc -l <"$tmp/err") == 1 ]] || fail "one line: $(cat "$tmp/err")"
grep -q "no setpost database in $tmp/elsewhere/var" "$tmp/err" || fail "names the folder: $(cat "$tmp/err")"
[ ! -e "$tmp/elsewhere/var" ] || fail "a var/ folder was created"
ok "before any serve, a command refuses to create a database and names the folder it looked in"

CLI_SERVE_WAIT=300 cli_serve "$tmp/serve" --data "$tmp/data"

# From another folder, with nothing said: the folder serve recorded, and the token works.
tok=$(cd "$tmp/elsewhere" && "$bin" token create --role admin --name cart 2>"$tmp/err" | tail -n 1) ||
	fail "token create from elsewhere: $(cat "$tmp/err")"
[ ! -e "$tmp/elsewhere/var" ] || fail "a second cluster in elsewhere/var"
code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $tok" "$url/api/v1/session")
[[ $code == 200 ]] || fail "the server knows the token made from elsewhere: $code"
ok "a command run elsewhere uses the data folder the running serve recorded; its token works"

# A folder named that holds no database: refused, named, not created.
if "$bin" token create --role admin --name x --data "$tmp/other" 2>"$tmp/err" >/dev/null; then
	fail "a database was created in $tmp/other"
fi
grep -q "no setpost database in $tmp/other" "$tmp/err" && [ ! -e "$tmp/other/pgdata" ] || fail "$(cat "$tmp/err")"
if SETPOST_DATA=$tmp/other2 "$bin" user list 2>"$tmp/err" >/dev/null; then fail "user list made a database"; fi
grep -q "no setpost database in $tmp/other2" "$tmp/err" || fail "$(cat "$tmp/err")"
ok "--data or SETPOST_DATA naming a folder without a database: refused in one line, nothing created"

#!/usr/bin/env bash
# setpost token and setpost user as an admin types them: the token alone on the last line,
# lists without secrets, revocation, users with the password on standard input, and errors
# as one line on stderr with a non-zero exit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
db="cli_auth_$$"
psql -q "$SETPOST_TEST_PG" -c "CREATE DATABASE $db" >/dev/null
export SETPOST_DATABASE_URL="${SETPOST_TEST_PG/dbname=postgres/dbname=$db}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$bin" token create --role editor --name "Avid bay 2")
tok=$(printf '%s\n' "$out" | tail -n 1)
[[ $tok =~ ^spt_[A-Za-z0-9_-]{43}$ ]] || fail "token alone on the last line: $out"
ok "token create prints the token alone on its last line"

list=$("$bin" token list)
grep -q "Avid bay 2" <<<"$list" || fail "list shows the name"
grep -q "spt_" <<<"$list" && fail "list must not show secrets"
[[ $(psql -qtA "$SETPOST_DATABASE_URL" -c "SELECT count(*) FROM tokens WHERE hash::text LIKE '%$tok%'") == 0 ]] ||
	fail "the secret is not stored"
ok "token list without secrets; only a hash stored"

id=$(psql -qtA "$SETPOST_DATABASE_URL" -c "SELECT id FROM tokens WHERE name = 'Avid bay 2'")
"$bin" token revoke "$id" | grep -q revoked || fail "revoke"
"$bin" token list | grep -q "revoked" || fail "list shows revoked"
ok "token revoke"

if "$bin" token create --role wizard --name x 2>"$tmp/err"; then fail "bad role accepted"; fi
[[ $(wc -l <"$tmp/err") == 1 ]] || fail "one line on stderr: $(cat "$tmp/err")"
grep -q "^setpost token: --role" "$tmp/err" || fail "message names the flag: $(cat "$tmp/err")"
if "$bin" token revoke 999999 2>"$tmp/err"; then fail "revoking nothing succeeded"; fi
grep -q "no active token" "$tmp/err" || fail "$(cat "$tmp/err")"
ok "token errors are one line on stderr, non-zero exit"

printf 'correct horse battery\n' | "$bin" user add dit --role admin | grep -q "added" || fail "user add"
"$bin" user list | grep -q "dit" || fail "user list"
[[ $(psql -qtA "$SETPOST_DATABASE_URL" -c "SELECT password_hash LIKE '\$argon2id\$%' FROM users WHERE name = 'dit'") == t ]] ||
	fail "argon2id hash stored"
if printf 'short\n' | "$bin" user add eve --role editor 2>"$tmp/err"; then fail "short password accepted"; fi
grep -q "at least 8" "$tmp/err" || fail "$(cat "$tmp/err")"
if printf 'another password\n' | "$bin" user add dit --role admin 2>"$tmp/err"; then fail "duplicate user"; fi
grep -q "already exists" "$tmp/err" || fail "$(cat "$tmp/err")"
ok "user add with the password on stdin, argon2id, errors"

"$bin" token --help | grep -q "usage: setpost token create" || fail "token --help"
"$bin" user --help | grep -q "usage: setpost user add" || fail "user --help"
for c in serve worker migrate version keygen encrypt decrypt; do
	"$bin" "$c" --help >/dev/null || fail "$c --help"
done
"$bin" help | grep -q "serve" || fail "help"
if "$bin" frobnicate 2>"$tmp/err"; then fail "unknown command accepted"; fi
grep -q "unknown command" "$tmp/err" || fail "$(cat "$tmp/err")"
ok "every command answers --help; unknown commands fail"
psql -q "$SETPOST_TEST_PG" -c "DROP DATABASE $db" >/dev/null

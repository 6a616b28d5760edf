#!/bin/bash
# `setpost routes` prints the router's own table of routes and roles, and the copy of it in
# docs/post-house.md is that output, so the documented roles cannot drift from the server's.
#   tests/cli/routes.sh build/setpost
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sp=$(realpath "${1:?usage: $0 PATH_TO_SETPOST}")
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$("$sp" routes)

n=$(grep -c '^| `' <<<"$out")
want=$(grep -c '^	{ "[A-Z]*", "/' "$top/server/routes.c")
[ "$n" = "$want" ] || fail "setpost routes printed $n routes, server/routes.c has $want"
ok "setpost routes prints one row per route of server/routes.c ($n)"

grep -qxF '| `GET /api/v1/health` | public | public | public |' <<<"$out" ||
	fail "health is not shown as public: $(grep health <<<"$out")"
grep -qxF '| `POST /api/v1/jobs/{id}/cancel` | yes | no | no |' <<<"$out" ||
	fail "job cancel is not admin only: $(grep cancel <<<"$out")"
grep -qxF '| `GET /metrics` | yes | no | yes |' <<<"$out" ||
	fail "metrics is not admin and post: $(grep metrics <<<"$out")"
ok "setpost routes shows public, admin-only and admin+post routes as the router has them"

"$sp" routes extra 2>"$tmp/err" && fail "setpost routes took an unexpected argument"
[ "$(wc -l <"$tmp/err")" = 1 ] || fail "a bad argument did not print one line: $(cat "$tmp/err")"
ok "setpost routes refuses an argument with one line on stderr"

"$top/scripts/routes-doc.sh" --check "$sp" >/dev/null ||
	fail "docs/post-house.md's route table is not setpost routes' output (run scripts/routes-doc.sh)"
ok "docs/post-house.md's route table is the router's"

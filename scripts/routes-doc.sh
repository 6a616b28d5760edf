#!/bin/sh
# Writes `setpost routes` (the router's own table) between the routes markers of
# docs/post-house.md; with --check, exits 1 and shows the difference when the doc is stale.
# usage: scripts/routes-doc.sh [--check] [SETPOST_BINARY]
set -eu
cd "$(dirname "$0")/.."
check=
[ "${1:-}" = --check ] && { check=1; shift; }
bin=${1:-build/setpost}
doc=docs/post-house.md
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.table"' EXIT
"$bin" routes >"$tmp.table"
awk -v table="$tmp.table" '
	/^<!-- routes:/ { print; while ((getline l < table) > 0) print l; skip = 1; next }
	/^<!-- \/routes -->/ { skip = 0 }
	!skip { print }
' "$doc" >"$tmp"
if [ -n "$check" ]; then
	diff -u "$doc" "$tmp" && exit 0
	echo "$doc: the route table differs from \`setpost routes\`; run scripts/routes-doc.sh" >&2
	exit 1
fi
cat "$tmp" >"$doc"

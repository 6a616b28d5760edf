#!/usr/bin/env bash
# Registration of histories other tools write (issue 21): a card copied twice by the reference
# tool, Silverstack, Hedge and ShotPut Pro (tests/fixtures/mhl: an empty file without size, a
# nested sound roll history, xxh128 + c4, upper-case md5, no dates) is registered from its two
# copies with `setpost register` alone, on two really distinct volumes, and is safe to format;
# one copy whose history says a file failed is registered as failed, never safe.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_tmp mhltools
on_fail() { tail -n 15 "$tmp/serve.log" >&2 2>/dev/null || true; }

if [ "$(id -u)" -ne 0 ]; then
	skip "registration of other tools' histories on two distinct volumes" "needs root to mount tmpfs"
	exit 0
fi
faults=0 false_verified=0 false_safe=0
cli_db mhltools
export SETPOST_DATABASE_URL=$CLI_DB
cli_mount "$tmp/raid" || fail "mount raid"
cli_mount "$tmp/shuttle" || fail "mount shuttle"
cli_serve "$tmp/serve" --data "$tmp/data"
export SETPOST_TOKEN=$("$bin" token create --role admin --name cart | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url$1"; }

# tool/card  files (those in nested histories included)
for fx in ascmhl/A001R1AB:4 silverstack/B002R2CD:5 hedge/C003R3EF:3 shotput/D004:3; do
	src=${fx%%:*} want=${fx#*:} card=$(basename "${fx%%:*}")
	for v in raid shuttle; do cp -a "$top/tests/fixtures/mhl/$src" "$tmp/$v/"; done
	out=$("$bin" register "$tmp/raid/$card" "$tmp/shuttle/$card" --register "$url" \
		--production Feature --day 2026-11-27 2>&1) || fail "register $src: $out"
	grep -q "registered: card id [0-9]*, $want files, $((want * 2)) copies; safe to format: YES" <<<"$out" ||
		fail "register $src: $out"
	id=$(api "/api/v1/cards" | jq -r --arg l "$card" '.items[] | select(.label == $l) | .id')
	c=$(api "/api/v1/cards/$id")
	[[ $(jq -r .safe_to_format <<<"$c") == true ]] || fail "$src: card $card safe on the API: $c"
	ok "a card copied by ${src%%/*} ($card, $want files) registers from its two histories and is safe to format"
done

# A history whose latest check of a file failed: that copy is registered as failed.
faults=$((faults + 1))
# Two copies of card E005 written in ShotPut Pro's shape (make.py): on raid the check
# succeeded, on shuttle it failed for every file.
PYTHONDONTWRITEBYTECODE=1 python3 - "$top/tests/fixtures/mhl" "$tmp" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
import make
files = {"E005C001.MOV": b"E005 clip one\n" * 20, "E005C002.MOV": b"E005 clip two\n" * 21}
for vol, action in (("raid", "original"), ("shuttle", "failed")):
    root = os.path.join(sys.argv[2], vol, "bad", "E005")
    make.put(root, files)
    make.history(root, "E005", files, [make.Gen(date="2024-02-09T09:00:00Z", algos=["md5"],
                 host="SHOTPUT-PC", tool="ShotPut Pro", tool_version="2024.2.1", process="transfer",
                 action=action, upper=True)])
PY
out=$("$bin" register "$tmp/raid/bad/E005" "$tmp/shuttle/bad/E005" --register "$url" \
	--production Feature --day 2026-11-27 2>&1) || true
grep -q "safe to format: no" <<<"$out" || { false_safe=$((false_safe + 1)); fail "a failed check registered as verified: $out"; }
id=$(api "/api/v1/cards" | jq -r '.items[] | select(.label == "E005") | .id')
[[ $(api "/api/v1/cards/$id" | jq -r .safe_to_format) == false ]] || { false_safe=$((false_safe + 1)); fail "E005 safe on the API"; }
ok "a copy whose history records a failed check registers as failed: the card is not safe"
echo "faults tried: $faults, false verified: $false_verified, false safe to format: $false_safe"

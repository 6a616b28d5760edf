#!/bin/bash
# Black-box test of `setpost verify`: --init, verified/changed/missing/new reports and exit
# statuses, the generations it writes (valid against the ASC XSDs, earlier ones untouched,
# chain c4s right), --no-write, --json, the history of "another tool" (xxh128 + md5, other
# creator info, a nested folder with its own ascmhl/), and tampered manifests.
#   tests/cli/verify.sh build/setpost
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sp=$(realpath "${1:?usage: $0 PATH_TO_SETPOST}")
top=$(cd "$(dirname "$0")/../.." && pwd)
xsd_manifest=$top/tests/fixtures/xsd/ASCMHL.xsd
xsd_chain=$top/tests/fixtures/xsd/ASCMHLDirectory.xsd
for t in xmllint python3 md5sum xxhsum; do
	command -v $t >/dev/null || { echo "verify.sh: $t is required" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"


# Runs setpost verify ARGS, keeping stdout/stderr in out.txt/err.txt and the status in $rc.
run() {
	rc=0
	"$sp" verify "$@" >out.txt 2>err.txt || rc=$?
}

# Like run, and the status must be $1.
expect() {
	local want=$1; shift
	run "$@"
	[ "$rc" -eq "$want" ] || fail "verify $*: exit $rc, expected $want
--- stdout
$(cat out.txt)
--- stderr
$(cat err.txt)"
}

# The command must fail with status $1 and exactly one "setpost verify: " line on stderr.
expect_error() {
	expect "$@"
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "verify ${*:2}: stderr is not one line: $(cat err.txt)"
	grep -q '^setpost verify: ' err.txt || fail "verify ${*:2}: bad stderr: $(cat err.txt)"
}

has_line() { grep -qxF -- "$1" out.txt || fail "no line '$1' in: $(cat out.txt)"; }
summary() { tail -n 1 out.txt | grep -qF -- "$1" || fail "summary is not '$1…': $(tail -n 1 out.txt)"; }
nmanifests() { find "$1/ascmhl" -maxdepth 1 -name '*.mhl' | wc -l; }
newest() { find "$1/ascmhl" -maxdepth 1 -name '*.mhl' | sort | tail -n 1; }

# c4 id of a file (SMPTE ST 2114: SHA-512 in base58, padded to 88 digits).
c4() {
	python3 - "$1" <<'EOF'
import hashlib, sys
alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
n = int.from_bytes(hashlib.sha512(open(sys.argv[1], 'rb').read()).digest(), 'big')
s = ''
while n:
    n, r = divmod(n, 58)
    s = alphabet[r] + s
print('c4' + s.rjust(88, '1'))
EOF
}

# Every manifest of root/ascmhl and its chain are valid, and each chain c4 is the file's.
check_history() {
	local root=$1 f
	for f in "$root"/ascmhl/*.mhl; do
		xmllint --noout --schema "$xsd_manifest" "$f" 2>xmllint.txt ||
			fail "$f does not validate: $(cat xmllint.txt)"
		grep -qF "<c4>$(c4 "$f")</c4>" "$root/ascmhl/ascmhl_chain.xml" ||
			fail "chain of $root has not the c4 of $(basename "$f")"
	done
	xmllint --noout --schema "$xsd_chain" "$root/ascmhl/ascmhl_chain.xml" 2>xmllint.txt ||
		fail "$root chain does not validate: $(cat xmllint.txt)"
}

# The action recorded for path ($2) in manifest $1, for every hash element: "verified" etc.
actions() {
	python3 - "$1" "$2" <<'EOF'
import sys, xml.etree.ElementTree as ET
ns = '{urn:ASC:MHL:v2.0}'
for h in ET.parse(sys.argv[1]).getroot().iter(ns + 'hash'):
    if h.find(ns + 'path').text == sys.argv[2]:
        print(' '.join(sorted(set(e.get('action', '') for e in h if e.tag != ns + 'path'))))
EOF
}

# Flips the bits of byte $2 of file $1, in place.
flip() {
	python3 - "$1" "$2" <<'EOF'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))
EOF
}

# --- our own history ----------------------------------------------------------------------

mkdir -p "card/A001/sous-dossier"
head -c 200000 /dev/urandom >"card/A001/clip one.mov"
head -c 3000 /dev/urandom >"card/A001/sous-dossier/café été.wav"
printf 'Ünïcødé ñame\n' >"card/A001/Ünïcødé ñame.txt"
printf 'scene 1, take 3\n' >card/notes.txt
printf 'junk\n' >card/.DS_Store

expect_error 1 card
grep -qF -- '--init' err.txt && grep -qF 'setpost offload' err.txt ||
	fail "no ascmhl/: the message should suggest offload and --init: $(cat err.txt)"
[ ! -e card/ascmhl ] || fail "a failed verify created card/ascmhl"
ok "a folder without ascmhl/ is an error naming --init and offload"

expect 2
expect 2 --bogus card
expect 2 --hash nope card
expect 2 --init --no-write card
expect 2 card card
"$sp" verify --help | grep -q '^Usage: setpost verify' || fail "--help"
"$sp" verify --help | grep -qi 'new files' || fail "--help does not say what new files do"
ok "usage errors exit 2, --help documents the exit status"

expect 0 --init card
[ "$(nmanifests card)" -eq 1 ] || fail "--init wrote $(nmanifests card) manifests"
gen1=$(newest card)
case $(basename "$gen1") in 0001_card_*Z.mhl) ;; *) fail "first manifest is $gen1" ;; esac
for p in "A001/clip one.mov" "A001/sous-dossier/café été.wav" "A001/Ünïcødé ñame.txt" notes.txt; do
	[ "$(actions "$gen1" "$p")" = original ] || fail "--init: $p is not original"
done
[ -z "$(actions "$gen1" .DS_Store)" ] || fail ".DS_Store was listed"
summary "card: 0 verified, 4 new, 0 changed, 0 missing"
expect_error 1 --init card
ok "--init writes generation 1, every file original, junk skipped; a second --init is refused"

cp "$gen1" gen1.copy
expect 0 card
summary "card: 4 verified, 0 new, 0 changed, 0 missing"
[ "$(nmanifests card)" -eq 2 ] || fail "second verify: $(nmanifests card) manifests"
gen2=$(newest card)
case $(basename "$gen2") in 0002_card_*Z.mhl) ;; *) fail "second manifest is $gen2" ;; esac
cmp -s "$gen1" gen1.copy || fail "generation 1 changed"
for p in "A001/clip one.mov" "A001/sous-dossier/café été.wav" "A001/Ünïcødé ñame.txt" notes.txt; do
	[ "$(actions "$gen2" "$p")" = verified ] || fail "generation 2: $p is not verified"
done
grep -qF '<process>in-place</process>' "$gen2" || fail "generation 2 is not in-place"
grep -qF '>setpost</tool>' "$gen2" || fail "generation 2: tool"
grep -qF "<hostname>$(hostname)</hostname>" "$gen2" || fail "generation 2: hostname"
check_history card
ok "verify: all verified, generation 2 written, generation 1 byte-identical, XSDs and c4s"

expect 0 -v card
has_line "verified A001/clip one.mov"
has_line "verified A001/sous-dossier/café été.wav"
ok "--verbose: one line per file"

cp -a card/ascmhl ascmhl.before
expect 0 --no-write card
diff -r card/ascmhl ascmhl.before >/dev/null || fail "--no-write changed ascmhl/"
summary "nothing written"
ok "--no-write writes nothing"

expect 0 --json --no-write card
python3 -m json.tool out.txt >/dev/null || fail "--json is not JSON: $(cat out.txt)"
python3 - out.txt <<'EOF' || fail "--json content: $(cat out.txt)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r['ok'] is True and r['generation'] is None, r
assert r['counts'] == {'verified': 4, 'new': 0, 'changed': 0, 'missing': 0}, r['counts']
assert r['algorithms'] == ['xxh64'], r['algorithms']
assert sorted(f['path'] for f in r['files'])[0] == 'A001/clip one.mov'
assert all(f['status'] == 'verified' for f in r['files'])
EOF
[ "$(wc -c <err.txt)" -eq 0 ] || fail "--json: stderr: $(cat err.txt)"
ok "--json is valid JSON with the counts"

flip "card/A001/clip one.mov" 1000
before=$(nmanifests card)
expect 1 card
grep -q '^changed  A001/clip one\.mov: xxh64 [0-9a-f]*, expected [0-9a-f]*' out.txt ||
	fail "changed file not named: $(cat out.txt)"
summary "card: 3 verified, 0 new, 1 changed, 0 missing"
[ "$(nmanifests card)" -eq $((before + 1)) ] || fail "no generation after a mismatch"
[ "$(actions "$(newest card)" "A001/clip one.mov")" = failed ] || fail "change not recorded as failed"
[ "$(actions "$(newest card)" notes.txt)" = verified ] || fail "others not verified"
check_history card
expect 1 --json card
python3 -c 'import json,sys; r=json.load(open("out.txt")); assert not r["ok"] and r["counts"]["changed"] == 1' ||
	fail "--json after a change: $(cat out.txt)"
flip "card/A001/clip one.mov" 1000
expect 0 card
summary "card: 4 verified"
ok "a flipped byte: exit 1 naming the file, recorded as failed, never the new reference"

mv card/notes.txt notes.txt.away
expect 1 card
has_line "missing  notes.txt"
summary "card: 3 verified, 0 new, 0 changed, 1 missing"
expect 1 card
has_line "missing  notes.txt"
mv notes.txt.away card/notes.txt
ok "a deleted file is reported missing (and stays missing in later runs)"

printf 'late addition\n' >"card/A001/extra fïle.txt"
expect 0 card
has_line "new      A001/extra fïle.txt"
summary "card: 4 verified, 1 new, 0 changed, 0 missing"
[ "$(actions "$(newest card)" "A001/extra fïle.txt")" = original ] || fail "new file not original"
expect 0 card
summary "card: 5 verified, 0 new"
ok "a new file is listed, exits 0, and is recorded as original"

expect 0 --hash md5,xxh64 card
grep -q '<md5 action="verified"' "$(newest card)" || fail "--hash md5: no verified md5"
grep -q '<roothash>' "$(newest card)" && grep -A2 '<roothash>' "$(newest card)" | grep -q '<md5' ||
	fail "--hash md5,xxh64: directory hashes are not md5"
check_history card
ok "--hash md5,xxh64 adds md5 (first algorithm for directory hashes)"

# Tampering: one byte of a manifest's text changed; its chain c4 no longer matches.
cp "$gen2" gen2.copy
sed -i 's/<process>in-place</<process>transfer</' "$gen2"
expect_error 1 card
grep -qF "$(basename "$gen2")" err.txt && grep -q 'c4' err.txt ||
	fail "tampering not reported with the manifest's name: $(cat err.txt)"
cp gen2.copy "$gen2"
rm card/ascmhl/ascmhl_chain.xml
expect_error 1 card
ok "a tampered manifest (chain c4 mismatch) or a lost chain is an error naming it"

# --- another tool's history: xxh128 + md5, other creator info, a nested history ----------

mkdir -p other/Sound other/B002/Sub other/ascmhl other/B002/ascmhl
head -c 70000 /dev/urandom >"other/Clip 001.mxf"
head -c 5000 /dev/urandom >"other/Sound/Scène 1.wav"
head -c 90000 /dev/urandom >other/B002/B002C001.mov
head -c 1234 /dev/urandom >"other/B002/Sub/B002C002 é.mov"

xxh128() { xxhsum -H2 "$1" 2>/dev/null | cut -d' ' -f1; }
md5() { md5sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
hashentry() { # root-relative path, manifest path
	cat <<EOF
    <hash>
      <path size="$(size "$1")" lastmodificationdate="2023-05-04T18:20:00+02:00">$2</path>
      <xxh128 action="original" hashdate="2023-05-04T18:21:00+02:00">$(xxh128 "$1")</xxh128>
      <md5 action="original" hashdate="2023-05-04T18:21:00+02:00">$(md5 "$1")</md5>
    </hash>
EOF
}

child=other/B002/ascmhl/0001_B002_2023-05-04_162000Z.mhl
cat >"$child" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">
  <creatorinfo>
    <creationdate>2023-05-04T18:20:00+02:00</creationdate>
    <hostname>loader-cart-2.local</hostname>
    <tool version="4.2.1">othertool</tool>
    <author email="loader@example.com" phone="+33 1 23 45 67 89" role="Loader">Camille Lefèvre</author>
    <location>Plateau 3, Studios de Paris</location>
    <comment>B-camera card, second unit</comment>
  </creatorinfo>
  <processinfo>
    <process>transfer</process>
    <ignore>
      <pattern>.DS_Store</pattern>
      <pattern>ascmhl</pattern>
      <pattern>ascmhl/</pattern>
    </ignore>
  </processinfo>
  <hashes>
$(hashentry other/B002/B002C001.mov B002C001.mov)
$(hashentry "other/B002/Sub/B002C002 é.mov" "Sub/B002C002 é.mov")
  </hashes>
</hashlist>
EOF
cat >other/B002/ascmhl/ascmhl_chain.xml <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<ascmhldirectory xmlns="urn:ASC:MHL:DIRECTORY:v2.0">
  <hashlist sequencenr="1">
    <path>$(basename "$child")</path>
    <c4>$(c4 "$child")</c4>
  </hashlist>
</ascmhldirectory>
EOF

parent=other/ascmhl/0001_other_2023-05-04_163000Z.mhl
cat >"$parent" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">
  <creatorinfo>
    <creationdate>2023-05-04T16:30:00Z</creationdate>
    <hostname>dit-station</hostname>
    <tool version="1.0">ascmhl</tool>
    <author role="DIT">Sam Okafor</author>
  </creatorinfo>
  <processinfo>
    <process>transfer</process>
  </processinfo>
  <hashes>
$(hashentry "other/Clip 001.mxf" "Clip 001.mxf")
$(hashentry "other/Sound/Scène 1.wav" "Sound/Scène 1.wav")
  </hashes>
  <references>
    <hashlistreference>
      <path>B002/ascmhl/$(basename "$child")</path>
      <c4>$(c4 "$child")</c4>
    </hashlistreference>
  </references>
</hashlist>
EOF
cat >other/ascmhl/ascmhl_chain.xml <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<ascmhldirectory xmlns="urn:ASC:MHL:DIRECTORY:v2.0">
  <hashlist sequencenr="1">
    <path>$(basename "$parent")</path>
    <c4>$(c4 "$parent")</c4>
  </hashlist>
</ascmhldirectory>
EOF
check_history other
check_history other/B002
ok "the other tool's fixture is valid ASC MHL with correct c4s"

expect 0 -v other
has_line "verified B002/Sub/B002C002 é.mov"
has_line "verified Sound/Scène 1.wav"
summary "other: 4 verified, 0 new, 0 changed, 0 missing"
gen=$(newest other)
case $(basename "$gen") in 0002_other_*Z.mhl) ;; *) fail "new generation is $gen" ;; esac
grep -q '<xxh128 action="verified"' "$gen" && grep -q '<md5 action="verified"' "$gen" ||
	fail "the other tool's algorithms were not used by default"
# As the reference tool does: the nested history gets its own new generation, with its files,
# and the parent's new generation references that one (not the older manifest).
[ "$(nmanifests other/B002)" -eq 2 ] || fail "no new generation in the nested history"
cgen=$(newest other/B002)
grep -qF "<path>B002/ascmhl/$(basename "$cgen")</path>" "$gen" ||
	fail "no hashlistreference to the nested history's new generation"
grep -q "<path[^>]*>Sub/B002C002 é.mov</path>" "$cgen" || fail "the child's files in its own generation"
! grep -q "B002/Sub/B002C002" "$gen" || fail "the child's files listed in the parent's generation"
has_line "wrote generation 2 in B002 (B002/ascmhl/$(basename "$cgen"))"
check_history other
check_history other/B002
expect 0 --json --no-write other
python3 - out.txt <<'EOF' || fail "--json for other: $(cat out.txt)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r['algorithms'] == ['md5', 'xxh128'], r['algorithms']
assert r['nested'] == [{'folder': 'B002', 'generations': 2}], r['nested']
assert r['counts']['verified'] == 4
EOF
ok "another tool's history (xxh128 + md5, nested B002/ascmhl) is read and verified"

flip "other/B002/Sub/B002C002 é.mov" 0
expect 1 other
grep -q '^changed  B002/Sub/B002C002 é\.mov: md5 ' out.txt || fail "nested change: $(cat out.txt)"
[ "$(actions "$(newest other/B002)" "Sub/B002C002 é.mov")" = failed ] || fail "nested change not failed in the nested history"
flip "other/B002/Sub/B002C002 é.mov" 0
ok "a changed file in the nested folder is reported"

sed -i 's/second unit/first unit/' "$child"
expect_error 1 other
grep -qF "$(basename "$child")" err.txt || fail "nested tampering not named: $(cat err.txt)"
ok "a tampered nested manifest is an error naming it"

echo "verify.sh: all passed"

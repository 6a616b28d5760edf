#!/usr/bin/env bash
# LTO archive on a stand-in tape (a tmpfs mount with the LTFS extended attributes set by the
# test): the copy policy's two gates, the tape's rules (new files only, written one at a time
# in the planned order, nothing renamed, rewritten or deleted on the tape, checked with strace
# of the run), the read-back, spanning to a second tape when the first fills, each card's
# offload report and ASC MHL history on the tape (pdftotext, setpost verify), each tape's
# catalogue as an ASC MHL manifest (xmllint against the XSD), the refusal to append to a tape
# holding a file's only copy, and resuming after a stop.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
cli_journey cli_archive
bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1
cli_serve "$tmp/serve" --data "$tmp/data"
export SETPOST_TOKEN=$("$bin" token create --role admin --name cart | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url$1"; }
patch() { curl -s -X PATCH -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" -d "$2" "$url$1"; }
# The LTFS software's virtual extended attributes, as the stand-in tape's root carries them.
ltfs_label() { python3 -c "import os,sys; [os.setxattr(sys.argv[1], 'user.ltfs.' + k, v.encode()) for k, v in zip(('volumeUUID', 'volumeName', 'volumeSerial'), sys.argv[2:])]" "$@"; }

if [ "$(id -u)" -ne 0 ] || ! command -v strace >/dev/null; then
	skip "archive to a stand-in tape" "needs root (tmpfs mounts) and strace"
	exit 0
fi
cli_mount "$tmp/raid" && cli_mount "$tmp/shuttle" || { skip "archive" "tmpfs mounts failed"; exit 0; }
out=$("$bin" offload "$tmp/cards/arri" --card A001R1AB --to "$tmp/raid" --to "$tmp/shuttle" \
	--register "$url" --production Feature --day 2026-11-25 --no-progress 2>&1)
grep -q "safe to format: YES; working drives safe to clear: no" <<<"$out" || fail "two disks: $out"
grep -q "not clear: .*A001C001_250101_R1AB.mov: 2 of 3 verified copies; 1 of 2 media types (disk); no verified archive (LTO or post-house receipt); no copy offsite" <<<"$out" || fail "what is missing: $out"
ok "two verified copies on disks: card safe to format, drives not safe to clear, each missing piece named"

# The policy through the CLI, then through the API; bad input changes nothing.
out=$("$bin" production policy)
grep -q "copy policy 3 verified copies on 2 media types, archive: LTO or post-house receipt, offsite copy: required (the default)" <<<"$out" || fail "default policy: $out"
out=$("$bin" production policy --archive lto --copies 3)
grep -q "archive: LTO, offsite copy: required$" <<<"$out" || fail "policy set: $out"
grep -q "working drives safe to clear: 0 of 1 cards" <<<"$out" || fail "$out"
if "$bin" production policy --media-types 5 2>"$tmp/err"; then fail "media types 5 accepted"; fi
[[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "one line: $(cat "$tmp/err")"
pid=$(api /api/v1/productions | jq '.items[0].id')
code=$(curl -s -o "$tmp/body" -w "%{http_code}" -X PATCH -H "Authorization: Bearer $SETPOST_TOKEN" \
	-H "Content-Type: application/json" -d '{"copies":1,"media_types":2}' "$url/api/v1/productions/$pid/copy-policy")
[[ $code == 400 && $(jq -r .error.code "$tmp/body") == invalid ]] || fail "bad policy: $code $(cat "$tmp/body")"
[[ $(api "/api/v1/productions/$pid/copy-policy" | jq -r '[.copies, .archive] | join(" ")') == "3 lto" ]] || fail "unchanged"
card=$(api /api/v1/cards | jq '.items[] | select(.label == "A001R1AB")')
[[ $(jq -r '[.safe_to_format, .safe_to_clear] | map(tostring) | join(" ")' <<<"$card") == "true false" ]] || fail "$card"
jq -e '.why_not_clear[] | select(test("no verified LTO copy"))' <<<"$card" >/dev/null || fail "archive missing: $card"
ok "the copy policy is set by CLI and API, refused whole when bad, and both gates show in GET /cards"

# The first tape: small, so the card spans onto a second one.
mkdir -p "$tmp/tape"
"$bin" volume add tape "$tmp/tape" >/dev/null
cli_mount "$tmp/tape" 300k
ltfs_label "$tmp/tape" 6e0f-0001 LTO001 LTO001L8
ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$tmp/trace" -e trace=openat,close,rename,renameat,renameat2,unlink,unlinkat,link,linkat,truncate,ftruncate,rmdir -y \
	"$bin" archive --to "$tmp/tape" --card A001R1AB --wait 60 >"$tmp/archive.out" 2>"$tmp/archive.err" &
arch=$!
cli_track $arch
for _ in $(seq 300); do grep -q "insert the next tape" "$tmp/archive.out" && break; sleep 0.2; done
grep -q "waiting: tape LTO001 is full (A001R1AB/.* did not fit): insert the next tape" "$tmp/archive.out" || fail "asks for the next tape: $(cat "$tmp/archive.out" "$tmp/archive.err")"
first=$(find "$tmp/tape" -type f | sort)
umount "$tmp/tape"
# The next tape comes with its attributes, as an LTFS mount has them from the start.
mkdir -p "$tmp/next"
mount -t tmpfs -o size=4m tmpfs "$tmp/next"
ltfs_label "$tmp/next" 6e0f-0002 LTO002 LTO002L8
mount --move "$tmp/next" "$tmp/tape"
wait $arch || fail "archive: $(cat "$tmp/archive.out" "$tmp/archive.err")"
second=$(find "$tmp/tape" -type f | sort)
grep -q "archived: .* 0 failed" "$tmp/archive.out" || fail "$(cat "$tmp/archive.out")"
echo "$first" | grep -q "2026-11-25/A001R1AB/ascmhl/ascmhl_chain.xml" || fail "history on the first tape: $first"
echo "$second" | grep -q "2026-11-25/A001R1AB/ascmhl/ascmhl_chain.xml" || fail "history on the second: $second"
for t in "$first" "$second"; do
	for ext in pdf html csv; do
		[[ $(grep -c "2026-11-25/A001R1AB/A001R1AB_offload_[0-9]\{8\}_[0-9]\{6\}Z\.$ext$" <<<"$t") -eq 1 ]] || fail "the offload report ($ext) on each tape: $t"
	done
done
ok "the card spans two tapes: the first fills, the run asks for the next and goes on, each tape has the card's ASC MHL history and offload report"

# The tape's rules, from the system calls of the run (strace -f -y).
python3 - "$tmp/trace" "$tmp/tape" >"$tmp/rules" 2>&1 <<'PY' || fail "tape rules: $(cat "$tmp/rules")"
import re, sys
trace, tape = sys.argv[1], sys.argv[2] + "/"
bad, writes, reads, open_w, most = [], [], [], {}, 0
for line in open(trace):
    m = re.match(r"(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)(<([^>]*)>)?", line)
    if not m:
        continue
    pid, call, args, ret, path = m.group(1), m.group(2), m.group(3), int(m.group(4)), m.group(6)
    if call in ("rename", "renameat", "renameat2", "unlink", "unlinkat", "link", "linkat",
                "truncate", "ftruncate", "rmdir") and tape in args:
        bad.append("not a tape operation: " + line.strip())
    if call == "openat" and ret >= 0 and path and path.startswith(tape):
        flags = args.split(",")[2] if args.count(",") >= 2 else ""
        rel = path[len(tape):]
        if "O_WRONLY" in flags or "O_RDWR" in flags:
            if "O_CREAT" not in flags or "O_EXCL" not in flags or "O_TRUNC" in flags:
                bad.append("a file on tape opened for writing other than new: " + line.strip())
            open_w[(pid, ret)] = rel
            most = max(most, len(open_w))
            writes.append(rel)
        elif "O_DIRECTORY" not in flags:
            reads.append(rel)
    if call == "close":
        open_w.pop((pid, int(re.match(r"(\d+)", args).group(1))), None)
if most != 1:
    bad.append("files open for writing at once on the tape: %d" % most)
media = [w for w in writes if "/ascmhl/" not in w and "_offload_" not in w]
# The card's report, then its history (manifest, then chain), after the read-back.
tail = [w.rsplit("/", 1)[1].rsplit(".", 1)[1] if "_offload_" in w else w.rsplit("/", 1)[1][-4:]
        for w in writes if w.startswith("2026-11-25/A001R1AB/") and w not in media]
if tail != ["pdf", "html", "csv", ".mhl", ".xml"] * 2:
    bad.append("after each card's part: report, manifest, chain: %s" % tail)
want = ["A001C001_250101_R1AB.mov", "A001C002_250101_R1AB.mov", "A001R1AB.ale", "A001R1AB_FCP.xml"]
if [m.rsplit("/", 1)[1] for m in media] != want:
    bad.append("write order (largest first, then by name): %s" % media)
if [r for r in reads if r in media] != media:
    bad.append("read-back order (tape order): %s against %s" % (reads, media))
for w in writes:
    if "/ascmhl/" in w and not (w.endswith(".mhl") or w.endswith("ascmhl_chain.xml")):
        bad.append("a temporary file on tape: " + w)
print("\n".join(bad) or "ok")
sys.exit(1 if bad else 0)
PY
ok "the tape's rules: files only created new and written whole one at a time, largest first, read back in tape order, nothing renamed, truncated or deleted on the tape"

# The report on the tape says what the tape holds; the tape's history lists the report too,
# so a verify of the card's folder on the tape checks it (and finds a changed report).
pdf=$(find "$tmp/tape/2026-11-25/A001R1AB" -maxdepth 1 -name 'A001R1AB_offload_*.pdf')
if command -v pdftotext >/dev/null; then
	pdftotext -layout "$pdf" "$tmp/report.txt" || fail "pdftotext $pdf"
	grep -q "A001R1AB" "$tmp/report.txt" && grep -q "LTO002" "$tmp/report.txt" || fail "the report names the card and the tape: $(head -c 3000 "$tmp/report.txt")"
	grep "LTO002" "$tmp/report.txt" | grep -q "verified" || fail "the tape's copy verified in the report: $(grep LTO002 "$tmp/report.txt")"
	ok "the offload report on the tape (pdftotext) names the card and the tape's copy, verified by its read-back"
else
	skip "the offload report's text on the tape" "pdftotext (poppler-utils) not installed"
fi
grep -q "A001C002_250101_R1AB.mov" "$tmp/tape/2026-11-25/A001R1AB/$(basename "$pdf" .pdf).csv" || fail "csv report lists the files"
cp -a "$tmp/tape/2026-11-25/A001R1AB" "$tmp/tapecard"
out=$("$bin" verify "$tmp/tapecard" 2>&1) || fail "verify the card's folder from the tape: $out"
grep -q "$(basename "$pdf")" "$tmp/tapecard/ascmhl/"*.mhl || fail "the history lists the report"
printf 'x' >>"$tmp/tapecard/$(basename "$pdf" .pdf).html"
if out=$("$bin" verify "$tmp/tapecard" 2>&1); then fail "a changed report passed verify: $out"; fi
grep -q "$(basename "$pdf" .pdf).html" <<<"$out" || fail "verify names the changed report: $out"
rm -rf "$tmp/tapecard"
ok "the tape's ASC MHL history lists the report: setpost verify of the card's folder checks it and catches a change"

# The catalogue: which tape holds what, by API, CLI and CSV.
tapes=$(api /api/v1/tapes)
[[ $(jq -r '[.items[] | .label + ":" + .state + ":" + (.files|tostring)] | join(" ")' <<<"$tapes") == "LTO001:full:1 LTO002:open:3" ]] || fail "tapes: $tapes"
[[ $(jq -r '.items[0].barcode + " " + .items[0].ltfs_uuid' <<<"$tapes") == "LTO001L8 6e0f-0001" ]] || fail "barcode: $tapes"
where=$(api "/api/v1/tapes?find=a001c002")
[[ $(jq -r '[.items[].label] | join(",")' <<<"$where") == LTO002 ]] || fail "which tape holds C002: $where"
jq -e '.items[0].matches[0].tape_path | endswith("A001C002_250101_R1AB.mov")' <<<"$where" >/dev/null || fail "$where"
out=$("$bin" tapes --find A001C001)
grep -q "^tape LTO001 \[LTO001L8\]: full" <<<"$out" && grep -q "A001C001_250101_R1AB.mov" <<<"$out" || fail "setpost tapes --find: $out"
api /api/v1/tapes/catalogue.csv >"$tmp/cat.csv"
[[ $(head -n 1 "$tmp/cat.csv" | tr -d '\r') == "tape,barcode,ltfs_uuid,location,seq,start_block,day,card,clip,file,tape_path,size,algorithm,hash,state,verified_at" ]] || fail "csv head: $(head -n 2 "$tmp/cat.csv")"
[[ $(grep -c ",verified," "$tmp/cat.csv") -eq 4 ]] || fail "csv rows: $(cat "$tmp/cat.csv")"
cmp <("$bin" tapes --csv) "$tmp/cat.csv" || fail "the CLI's CSV is the API's"
ok "the catalogue says which tape holds which file (API, CLI, CSV); the file that did not fit is only on the second tape"

# Each tape's catalogue as an ASC MHL manifest: valid against the ASC MHL XSD, the same files,
# sizes and hashes as the CSV, the tape's identity; the CLI writes the same listing.
for t in LTO001 LTO002; do
	tid=$(jq --arg t $t '.items[] | select(.label == $t) | .id' <<<"$tapes")
	code=$(curl -s -o "$tmp/$t.mhl" -D "$tmp/$t.head" -w "%{http_code}" -H "Authorization: Bearer $SETPOST_TOKEN" "$url/api/v1/tapes/$tid/catalogue.mhl")
	[[ $code == 200 ]] || fail "catalogue.mhl of $t: $code $(cat "$tmp/$t.mhl")"
	grep -qi "^content-disposition: attachment; filename=\"0001_${t}_[0-9]\{4\}-.*Z\.mhl\"" "$tmp/$t.head" || fail "its name: $(cat "$tmp/$t.head")"
	xmllint --noout --schema "$top/tests/fixtures/xsd/ASCMHL.xsd" "$tmp/$t.mhl" 2>"$tmp/xmllint.txt" || fail "$t.mhl does not validate: $(cat "$tmp/xmllint.txt")"
	"$bin" tapes --mhl $t >"$tmp/$t.cli.mhl" || fail "setpost tapes --mhl $t"
	xmllint --noout --schema "$top/tests/fixtures/xsd/ASCMHL.xsd" "$tmp/$t.cli.mhl" 2>"$tmp/xmllint.txt" || fail "CLI $t.mhl does not validate: $(cat "$tmp/xmllint.txt")"
	python3 - "$tmp/$t.mhl" "$tmp/$t.cli.mhl" "$tmp/cat.csv" $t "$(jq --arg t $t '.items[] | select(.label == $t) | .files' <<<"$tapes")" >"$tmp/mhlcheck" 2>&1 <<'PY' || fail "$t.mhl against the catalogue: $(cat "$tmp/mhlcheck")"
import csv, sys, xml.etree.ElementTree as ET
ns = {"m": "urn:ASC:MHL:v2.0"}
def listing(path):
    root = ET.parse(path).getroot()
    out = {}
    for h in root.iterfind("m:hashes/m:hash", ns):
        p = h.find("m:path", ns)
        hashes = {c.tag.split("}")[1]: c.text for c in h if c.tag.split("}")[1] not in ("path",)}
        out[p.text] = (p.get("size"), hashes)
    return root, out
api_root, api = listing(sys.argv[1])
_, cli = listing(sys.argv[2])
tape, nfiles = sys.argv[4], int(sys.argv[5])
rows = [r for r in csv.DictReader(open(sys.argv[3], newline="")) if r["tape"] == tape and r["state"] == "verified"]
want = {r["tape_path"]: (r["size"], {r["algorithm"]: r["hash"]}) for r in rows}
comment = api_root.find("m:creatorinfo/m:comment", ns).text
bad = []
if api != cli:
    bad.append("the CLI's listing differs from the API's")
if len(api) != nfiles or set(api) != set(want):
    bad.append("files: %s against the catalogue's %s (%d)" % (sorted(api), sorted(want), nfiles))
for p, (size, hashes) in want.items():
    if p in api and (api[p][0] != size or any(api[p][1].get(a) != v for a, v in hashes.items())):
        bad.append("%s: %s against %s" % (p, api[p], (size, hashes)))
if tape not in comment or tape + "L8" not in comment or "6e0f-000" not in comment:
    bad.append("the tape's identity: " + comment)
print("\n".join(bad) or "ok")
sys.exit(1 if bad else 0)
PY
done
code=$(curl -s -o "$tmp/body" -w "%{http_code}" -H "Authorization: Bearer $SETPOST_TOKEN" "$url/api/v1/tapes/999999/catalogue.mhl")
[[ $code == 404 && $(jq -r .error.code "$tmp/body") == not_found ]] || fail "no such tape: $code $(cat "$tmp/body")"
if "$bin" tapes --mhl NOSUCHTAPE >/dev/null 2>"$tmp/err"; then fail "--mhl of no tape"; fi
grep -q "no tape NOSUCHTAPE" "$tmp/err" || fail "$(cat "$tmp/err")"
ok "each tape's catalogue as an ASC MHL manifest (API and CLI): valid against the XSD, the files, sizes and hashes of the catalogue, the tape's label, barcode and LTFS UUID"

# The second gate: the tapes on set are not offsite; kept in the vault, the drives may be cleared.
card=$(api /api/v1/cards | jq '.items[] | select(.label == "A001R1AB")')
[[ $(jq -r .safe_to_clear <<<"$card") == false ]] || fail "$card"
jq -e '.why_not_clear | all(test(": no copy offsite$"))' <<<"$card" >/dev/null || fail "only offsite missing: $card"
"$bin" volume mark LTO001 --location vault >/dev/null
card=$(api /api/v1/cards | jq '.items[] | select(.label == "A001R1AB")')
[[ $(jq -r .safe_to_clear <<<"$card") == false ]] || fail "one tape in the vault is not enough: $card"
vid=$(api /api/v1/volumes | jq '.items[] | select(.name == "LTO002") | .id')
[[ $(patch "/api/v1/volumes/$vid" '{"location":"vault"}' | jq -r .location) == vault ]] || fail "PATCH volume"
card=$(api "/api/v1/cards/$(jq .id <<<"$card")")
[[ $(jq -r '[.safe_to_format, .safe_to_clear] | map(tostring) | join(" ")' <<<"$card") == "true true" ]] || fail "clear: $card"
ok "working drives safe to clear only once every file's LTO copy is verified and kept offsite"

# Run again: it goes on from the first file not verified on tape, so nothing is written twice.
out=$("$bin" archive --to "$tmp/tape" --card A001R1AB --no-progress 2>&1) || fail "again: $out"
grep -q "archived: 0 files to write .* 4 already on tape" <<<"$out" || fail "again: $out"
[[ $(find "$tmp/tape" -type f | sort) == "$second" ]] || fail "the tape changed"
ok "run again, the archive writes nothing that is verified on tape already"

# A tape is never appended to when full, nor while it holds a file's only verified copy.
tape_swap() {
	umount "$tmp/tape"
	mount -t tmpfs -o size=4m tmpfs "$tmp/next"
	ltfs_label "$tmp/next" "$@"
	mount --move "$tmp/next" "$tmp/tape"
}
"$bin" offload "$tmp/cards/sony" --card C001 --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
	--production Feature --day 2026-11-25 --no-progress >/dev/null 2>&1 || fail "offload C001"
tape_swap 6e0f-0001 LTO001 LTO001L8
if "$bin" archive --to "$tmp/tape" --card C001 --wait 1 --no-progress >"$tmp/out" 2>"$tmp/err"; then fail "wrote a full tape"; fi
grep -q "tape LTO001 is full" "$tmp/err" && [[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "full: $(cat "$tmp/out" "$tmp/err")"
[[ -z $(find "$tmp/tape" -type f) ]] || fail "something was written to the full tape"
python3 - "$tmp/raid/A001R1AB" "$tmp/shuttle/A001R1AB" <<'PY'
import os, sys
for root in sys.argv[1:]:
    for d, _, names in os.walk(root):
        for n in names:
            if "ascmhl" in d or n.startswith("."):
                continue
            with open(os.path.join(d, n), "r+b") as f:
                b = f.read(1)
                f.seek(0)
                f.write(bytes([b[0] ^ 1]))
PY
"$bin" verify "$tmp/raid/A001R1AB" --register "$url" >/dev/null 2>&1 || true
"$bin" verify "$tmp/shuttle/A001R1AB" --register "$url" >/dev/null 2>&1 || true
card=$(api /api/v1/cards | jq '.items[] | select(.label == "A001R1AB")')
[[ $(jq -r '[.safe_to_format, .safe_to_clear] | map(tostring) | join(" ")' <<<"$card") == "false false" ]] || fail "gates after the disks went bad: $card"
tape_swap 6e0f-0002 LTO002 LTO002L8
if "$bin" archive --to "$tmp/tape" --card C001 --wait 1 --no-progress >"$tmp/out" 2>"$tmp/err"; then fail "appended to a tape holding only copies"; fi
grep -q "tape LTO002 holds 3 files with no verified copy elsewhere" "$tmp/err" || fail "only copies: $(cat "$tmp/out" "$tmp/err")"
ok "a full tape and a tape holding a file's only verified copy are refused (nothing written)"

# A blank tape is written; the run is killed as it starts reading back (strace injects SIGKILL
# at the second open of the first file: the first was its write).
tape_swap 6e0f-0003 LTO003 LTO003L8
first=$tmp/tape/2026-11-25/C001/XDROOT/Clip/A004C002_250103J4.MXF
(ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null -P "$first" -e trace=openat -e inject=openat:signal=KILL:when=2 \
	"$bin" archive --to "$tmp/tape" --card C001 --no-progress >"$tmp/out" 2>&1; exit $?) 2>/dev/null && fail "the run was not killed: $(cat "$tmp/out")"
grep -q "reading back" "$tmp/out" && fail "it was killed before the read-back: $(cat "$tmp/out")"
[[ $(api "/api/v1/tapes?find=A004C002_250103J4.MXF" | jq -r '.items[0].matches[0].state') == copying ]] || fail "written, not verified"
# The LTFS software says where each file starts: here in the reverse of the order written.
mapfile -t written < <(api "/api/v1/tapes?find=XDROOT" | jq -r --arg t "$tmp/tape/" '.items[] | select(.label == "LTO003") | .matches[] | $t + .tape_path')
[[ ${#written[@]} -ge 3 ]] || fail "files written before the kill: ${written[*]}"
python3 -c "import os,sys; [os.setxattr(p, 'user.ltfs.startblock', str(1000 - i).encode()) for i, p in enumerate(sys.argv[1:])]" "${written[@]}"
ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$tmp/trace2" -e trace=openat -y \
	"$bin" archive --to "$tmp/tape" --card C001 --no-progress >"$tmp/out" 2>&1 || fail "resume: $(cat "$tmp/out")"
grep -q " 0 failed" "$tmp/out" || fail "resume: $(cat "$tmp/out")"
for f in "${written[@]}"; do
	grep "\"$f\", O_WRONLY" "$tmp/trace2" && fail "written again after the restart: $f"
done
reads=$(grep -o "\"$tmp/tape/2026-11-25/C001/[^\"]*\", O_RDONLY" "$tmp/trace2" | cut -d'"' -f2 | grep -v /ascmhl/ | awk '!seen[$0]++' | head -n ${#written[@]})
expected=$(printf '%s\n' "${written[@]}" | tac)
[[ $reads == "$expected" ]] || fail "read back in start-block order: $reads against $expected"
[[ $(api "/api/v1/tapes?find=A004C002_250103J4.MXF" | jq -r '.items[0].matches[0].state') == verified ]] || fail "verified after the restart"
ok "killed before its read-back, the run starts again from the first file not verified on tape: nothing written twice, read back in LTFS start-block order"

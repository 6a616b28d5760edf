#!/bin/bash
# Black-box test of `setpost keygen|encrypt|decrypt` against Debian's age 1.1.1 tools, both
# ways, plus the failure contract: non-zero exit, one line on stderr, no output file left.
#   tests/cli/age.sh build/setpost
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sp=$(realpath "${1:?usage: $0 PATH_TO_SETPOST}")
command -v age >/dev/null && command -v age-keygen >/dev/null ||
	{ echo "age.sh: the age tools are required (apt-get install age)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"


# Runs a command that must fail with exactly one "setpost <cmd>: " line on stderr.
must_fail() {
	local cmd=$1; shift
	if "$@" 2>err.txt >out.txt; then fail "$* succeeded"; fi
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "$*: stderr is not one line: $(cat err.txt)"
	grep -q "^setpost $cmd: " err.txt || fail "$*: bad stderr: $(cat err.txt)"
}

# keygen: mode 0600, "Public key:" on stderr, age-keygen agrees on the public key.
"$sp" keygen -o our.key 2>kg.err
[ "$(stat -c %a our.key)" = 600 ] || fail "our.key mode $(stat -c %a our.key)"
our_pub=$(age-keygen -y our.key)
grep -qx "Public key: $our_pub" kg.err || fail "keygen stderr: $(cat kg.err)"
grep -qx "# public key: $our_pub" our.key || fail "keygen public key comment"
grep -q '^# created: [0-9-]*T[0-9:]*\(Z\|[+-][0-9][0-9]:[0-9][0-9]\)$' our.key ||
	fail "keygen created comment"
"$sp" keygen >stdout.key 2>/dev/null
age-keygen -y stdout.key >/dev/null || fail "keygen to stdout is not a key file"
must_fail keygen "$sp" keygen -o our.key
ok "keygen"

age-keygen -o age.key 2>/dev/null
age_pub=$(age-keygen -y age.key)
echo "$age_pub" >recipients.txt

for size in 0 1 65536 65537 200000; do
	head -c "$size" /dev/urandom >"p.$size"
	"$sp" encrypt -r "$age_pub" -o "c.$size" "p.$size"
	age -d -i age.key "c.$size" | cmp -s - "p.$size" || fail "age -d of our $size bytes"
	age -r "$our_pub" -o "a.$size" "p.$size"
	"$sp" decrypt -i our.key -o "d.$size" "a.$size"
	cmp -s "d.$size" "p.$size" || fail "our decrypt of age's $size bytes"
	ok "interop $size bytes both ways"
done

# stdin/stdout, -R, several recipients, several identity files, -d accepted.
"$sp" encrypt -R recipients.txt -r "$our_pub" <p.65537 >multi.age
age -d -i age.key multi.age | cmp -s - p.65537 || fail "age -d of a two-recipient file"
"$sp" decrypt -d -i age.key -i our.key <multi.age | cmp -s - p.65537 || fail "stdin decrypt"
ok "stdin/stdout, -R, two recipients, two identity files"

# Wrong key: fails, one line on stderr, and neither output nor temporary file is left.
touch err.txt out.txt
before=$(ls -A)
must_fail decrypt "$sp" decrypt -i our.key -o wrong.out c.200000
[ ! -e wrong.out ] || fail "wrong key left wrong.out"
[ "$(ls -A)" = "$before" ] || fail "a temporary file was left: $(ls -A)"
ok "wrong key fails cleanly"

# A truncated file authenticates its first chunks, yet no output appears under the name.
head -c -1 c.200000 >trunc.age
must_fail decrypt "$sp" decrypt -i age.key -o trunc.out trunc.age
[ ! -e trunc.out ] || fail "truncated input left trunc.out"
[ -z "$(ls -A | grep '^\.')" ] || fail "a temporary file was left: $(ls -A | grep '^\.')"
echo keep >existing.out
must_fail decrypt "$sp" decrypt -i age.key -o existing.out trunc.age
[ "$(cat existing.out)" = keep ] || fail "a failed decrypt replaced an existing file"
ok "truncated file fails without output"

must_fail encrypt "$sp" encrypt -r age1notakey -o x.age p.1
must_fail encrypt "$sp" encrypt -o x.age p.1
must_fail decrypt "$sp" decrypt -o x p.1
must_fail decrypt "$sp" decrypt --no-such-flag
[ ! -e x.age ] && [ ! -e x ] || fail "a failed command left output"
ok "usage errors"

for cmd in keygen encrypt decrypt; do
	"$sp" "$cmd" --help >help.txt
	grep -q "^Usage: setpost $cmd" help.txt || fail "$cmd --help"
done
ok "--help"

# -o through a symbolic link or into a FIFO writes through it, as age does: renaming a file over
# the path would replace the link (or /dev/null, /dev/stdout) with a regular file.
ln -s target.age link.age
"$sp" encrypt -r "$age_pub" -o link.age p.1
[ -L link.age ] || fail "-o replaced a symbolic link with a file"
age -d -i age.key target.age | cmp -s - p.1 || fail "-o through a link: wrong bytes"
mkfifo fifo.age
cat fifo.age >from-fifo.age &
"$sp" encrypt -r "$age_pub" -o fifo.age p.1
wait
[ -p fifo.age ] || fail "-o replaced a FIFO with a file"
age -d -i age.key from-fifo.age | cmp -s - p.1 || fail "-o into a FIFO: wrong bytes"
ok "-o through a symbolic link or into a FIFO keeps them"

#!/bin/sh
# Banned functions and habits (STYLE.md): unbounded string functions, shell-outs, printing from
# lib/, SQL built from strings.
set -u
cd "$(dirname "$0")/.."
status=0
ban() {
	if grep -nE "$1" $2 2>/dev/null; then
		echo "lint: $3" >&2
		status=1
	fi
}
ban '\b(sprintf|vsprintf|strcpy|strcat|gets|strtok|atoi|system)\s*\(' "lib/*/*.c cli/*.c server/*.c workers/*.c" \
	"banned function (use snprintf, strtol, posix_spawn ...)"
ban '(\bprintf\s*\(|\bputs\s*\(|perror|std(err|out))' "lib/*/*.c" "lib/ never prints: return an error to the caller"
ban 'crypto_pwhash(_str|_str_verify)?\s*\(' "$(ls lib/*/*.c cli/*.c server/*.c workers/*.c | grep -v '^lib/store/pwhash.c$')" \
	"argon2id runs only through lib/store/pwhash.c's gate (at most PWHASH_AT_ONCE at once)"
ban 'PQexec\(' "cli/*.c server/*.c workers/*.c" "SQL runs as named prepared statements (db_query)"
max=$(sed -n 's/^#define DB_PARAMS_MAX \([0-9]*\).*/\1/p' lib/store/params.h)
if grep -nE '", [0-9]+ \};' lib/*/*.c cli/*.c server/*.c workers/*.c |
	awk -F'", ' -v max="$max" '{ n = $NF + 0; if (n > max) { print; bad = 1 } } END { exit !bad }'; then
	echo "lint: a statement with more parameters than struct db_params holds (DB_PARAMS_MAX $max)" >&2
	status=1
fi

# Districts of lib/ (lib/README.md): a file may include headers of its own district and of the
# districts listed for it, never one above; lib/ never includes server/, workers/ or cli/.
allowed() {
	case $1 in
	core) echo "core" ;;
	store) echo "core store" ;;
	media) echo "core store media" ;;
	editorial) echo "core store media editorial" ;;
	delivery) echo "core store delivery" ;;
	pipeline) echo "core store media editorial pipeline" ;;
	custody) echo "core store media editorial pipeline custody" ;;
	report) echo "core store media editorial pipeline custody report" ;;
	archive) echo "core store media editorial pipeline custody report archive" ;;
	*) echo "" ;;
	esac
}
for f in lib/*/*.c lib/*/*.h; do
	d=$(basename "$(dirname "$f")")
	ok=$(allowed "$d")
	if [ -z "$ok" ]; then
		echo "$f: lib/$d/ is not a district listed in scripts/lint.sh and lib/README.md" >&2
		status=1
		continue
	fi
	grep -n '^#include "' "$f" | while IFS= read -r line; do
		inc=$(echo "$line" | sed 's/.*#include "\([^"]*\)".*/\1/')
		case $inc in
		lib/*/*) to=$(echo "$inc" | cut -d/ -f2)
			case " $ok " in *" $to "*) ;; *)
				echo "$f:${line%%:*}: lib/$d/ may not include $inc (allowed: $ok)" ;; esac ;;
		*) echo "$f:${line%%:*}: include lib headers by their path from the top (\"lib/<district>/x.h\"), not $inc" ;;
		esac
	done
done >"${TMPDIR:-/tmp}/lint-districts.$$"
if [ -s "${TMPDIR:-/tmp}/lint-districts.$$" ]; then
	cat "${TMPDIR:-/tmp}/lint-districts.$$" >&2
	echo "lint: an include against the districts' directions (lib/README.md)" >&2
	status=1
fi
rm -f "${TMPDIR:-/tmp}/lint-districts.$$"
exit $status

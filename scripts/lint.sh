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
ban '\b(sprintf|vsprintf|strcpy|strcat|gets|strtok|atoi|system)\s*\(' "lib/*.c cli/*.c server/*.c workers/*.c" \
	"banned function (use snprintf, strtol, posix_spawn ...)"
ban '(\bprintf\s*\(|\bputs\s*\(|perror|std(err|out))' "lib/*.c" "lib/ never prints: return an error to the caller"
ban 'PQexec\(' "cli/*.c server/*.c workers/*.c" "SQL runs as named prepared statements (db_query)"
exit $status

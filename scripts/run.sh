#!/bin/sh
# make run: setpost serve and one worker on the same data folder, until Ctrl-C.
# Settings come from the environment (SETPOST_LISTEN, SETPOST_DATA, SETPOST_DATABASE_URL, ...).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/setpost"
data=${SETPOST_DATA:-$top/var}
export SETPOST_DATA="$data"
mkdir -p "$data/log"

"$bin" serve >"$data/log/serve.out" 2>>"$data/log/serve.log" &
serve=$!
worker=""
stop() {
	[ -n "$worker" ] && kill -TERM "$worker" 2>/dev/null && wait "$worker" 2>/dev/null
	kill -TERM "$serve" 2>/dev/null
	wait "$serve" 2>/dev/null
	echo "setpost stopped"
	exit 0
}
trap stop INT TERM

# The server creates or starts the database; the worker joins once the server answers.
i=0
while ! grep -q "listening on" "$data/log/serve.out" 2>/dev/null; do
	if ! kill -0 "$serve" 2>/dev/null; then
		echo "setpost serve failed to start:" >&2
		tail -n 5 "$data/log/serve.log" >&2
		exit 1
	fi
	i=$((i + 1))
	[ $i -gt 600 ] && { echo "setpost serve did not start within 60 s" >&2; stop; }
	sleep 0.1
done
"$bin" worker >>"$data/log/worker.out" 2>>"$data/log/worker.log" &
worker=$!

url=$(sed -n 's/.*listening on //p' "$data/log/serve.out" | tail -n 1)
echo "setpost is running: open $url"
echo "data folder: $data (logs in $data/log/); Ctrl-C stops the server and the worker"
sed -n 's/.*\(the database cluster is in .*\)/\1/p' "$data/log/serve.log" | tail -n 1
wait "$serve"
stop

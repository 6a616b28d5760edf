# bench/common.sh, sourced by the benchmarks: a work folder and a throwaway PostgreSQL cluster in
# it (default settings, fsync on, Unix socket only), run as the postgres user when we are root
# (PostgreSQL refuses root), so the folder is made reachable (0755); and a `setpost serve`.
#   bench_pg_start NAME   makes $work under $dir (NAME-run.XXXXXX), starts the cluster; sets
#                         $PGBIN, $RUN, $db (a libpq connection string) and $pgpid
#   bench_pg_stop         stops the cluster and removes $work (call it from the cleanup trap)
#   bench_serve TAG DATA [ARGS...]
#                         starts "$sp" serve --listen 127.0.0.1:0 --data DATA ARGS, its output
#                         in $work/TAG.out and TAG.log; waits for it to listen (60 s at most);
#                         sets $bench_pid and $bench_url (the caller keeps the pid to stop it)
# The caller sets $dir first and chooses its own cleanup, which calls bench_pg_stop last.
bench_pg_started=0
bench_pg_start() {
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -x "$PGBIN/initdb" ] || { echo "$1 bench: PostgreSQL's initdb not found (make deps)" >&2; exit 1; }
	mkdir -p "$dir"
	work=$(mktemp -d "$dir/$1-run.XXXXXX")
	chmod 755 "$work"
	RUN=""
	if [ "$(id -u)" -eq 0 ]; then
		RUN="runuser -u postgres --"
		mkdir -p "$work/pg" "$work/pgrun" && chown postgres "$work/pg" "$work/pgrun"
	fi
	$RUN "$PGBIN/initdb" -D "$work/pg" -U setpost --auth=trust -E UTF8 --locale=C >"$work/initdb.log" 2>&1 ||
		{ cat "$work/initdb.log" >&2; exit 1; }
	$RUN "$PGBIN/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w start \
		-o "-c listen_addresses='' -c unix_socket_directories='$work/pgrun'" >/dev/null ||
		{ tail -n 20 "$work/pg/server.log" >&2; exit 1; }
	bench_pg_started=1
	db="host=$work/pgrun user=setpost dbname=postgres"
	pgpid=$(head -n 1 "$work/pg/postmaster.pid")
}
bench_pg_stop() {
	[ "$bench_pg_started" -eq 0 ] || $RUN "$PGBIN/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true
	[ -z "${work:-}" ] || rm -rf "$work"
}
bench_serve() {
	local tag=$1 data=$2
	shift 2
	"$sp" serve --listen 127.0.0.1:0 --data "$data" "$@" >"$work/$tag.out" 2>"$work/$tag.log" &
	bench_pid=$!
	for _ in $(seq 1 600); do
		grep -qs "listening on" "$work/$tag.out" && break
		kill -0 "$bench_pid" 2>/dev/null || { tail -n 5 "$work/$tag.log" >&2; exit 1; }
		sleep 0.1
	done
	bench_url=$(sed -n 's/.*listening on //p' "$work/$tag.out" | tail -n 1)
	[ -n "$bench_url" ] || { echo "bench: setpost serve did not start" >&2; tail -n 5 "$work/$tag.log" >&2; exit 1; }
}

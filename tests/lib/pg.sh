# pg.sh: a private PostgreSQL cluster for one test or one local stack
# (sourced, not run; POSIX sh).  It lives under $RUN_DIR/pg, listens on a
# unix socket only, and keeps every setting in its own postgresql.conf, so
# `pg_ctl -D "$PGDATA" start` (as $PG_USER) brings it back as it was.
#
#   pg_init       set the variables below (needs RUN_DIR); no side effect
#                 but creating $RUN_DIR/pg
#   pg_setup      initdb (first time only), start, create the API's role
#                 and database; the role's password goes to $PGPASSFILE
#                 (0600) and nowhere else: never argv, never the DSN
#   pg_start      start the cluster as it was set up, wait until it answers
#   pg_stop [M]   stop it (pg_ctl mode M: fast by default), wait until gone
#   pg_restart    pg_stop then pg_start
#   pg_kill       SIGKILL the postmaster and every backend (a crash), wait
#                 until they are gone; pg_start then runs crash recovery
#   pg_running    true if the postmaster is up
#   pg_destroy    stop it at once and remove it (the /tmp directory too,
#                 when $RUN_DIR/pg is a symlink to one)
#   pg_dsn [DB]   print the libpq URI of the API's role (database DB, by
#                 default $PG_DB): host= is the socket directory, the port
#                 in the authority (no `&`: `eval export` of it is safe),
#                 and the password comes from PGPASSFILE
#   pg_createdb N create database N owned by the API's role (a scratch
#                 database for a test)
#   pg_admin ...  run psql as the cluster's superuser (peer auth), e.g.
#                 pg_admin -d "$PG_DB" -c 'SELECT 1'
#
# Variables (exported by pg_init):
#   PG_BINDIR     where initdb, pg_ctl, postgres and psql are
#   PG_CTL        $PG_BINDIR/pg_ctl
#   PG_USER       the OS user that owns the cluster: the Debian `postgres`
#                 user when we are root (PostgreSQL refuses to run as
#                 root), else the current user; also the superuser's name
#   PGDATA        the data directory
#   PG_SOCKDIR    the unix socket directory
#   PG_PORT       the port in the socket's name (.s.PGSQL.PORT); no TCP
#   PG_DB, PG_ROLE  the API's database and role (audio, audio_api)
#   PGPASSFILE    the role's password file (libpq reads it)
#
# $RUN_DIR/pg may be a symlink to a directory under /tmp: when $RUN_DIR
# cannot be reached by PG_USER (a parent without o+x), when its path has
# characters a URI would need to escape, or when the socket's path would
# be longer than a sockaddr_un holds.

PG_DB=${PG_DB:-audio}
PG_ROLE=${PG_ROLE:-audio_api}
PG_PORT=${PG_PORT:-5432}

# pg_bindir: the directory of initdb and pg_ctl: pg_config --bindir when it
# has them (Debian's pg_config says /usr/lib/postgresql/N/bin), else the
# highest /usr/lib/postgresql/*/bin, else the PATH.
pg_bindir() {
	pb_d=$(pg_config --bindir 2>/dev/null || :)
	if [ -n "$pb_d" ] && [ -x "$pb_d/initdb" ] && [ -x "$pb_d/pg_ctl" ]; then
		echo "$pb_d"
		return 0
	fi
	pb_d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n |
	    tail -n 1)
	if [ -n "$pb_d" ] && [ -x "$pb_d/initdb" ]; then
		echo "$pb_d"
		return 0
	fi
	pb_d=$(command -v initdb 2>/dev/null || :)
	if [ -n "$pb_d" ]; then
		dirname "$pb_d"
		return 0
	fi
	echo "pg.sh: initdb not found (apt-get install postgresql, or" \
	    "./autogen.sh --deps)" >&2
	return 1
}

# pg_as CMD...: run CMD as PG_USER, from / (the caller's directory may be
# closed to PG_USER).
pg_as() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && runuser -u "$PG_USER" -- "$@")
	else
		(cd / && "$@")
	fi
}

# pg_dir_ok DIR: true if DIR suits a cluster: PG_USER can reach it, its
# path needs no escaping in a URI, and its socket's path fits in 107 bytes.
pg_dir_ok() {
	case "$1" in
	*[!A-Za-z0-9/._-]*) return 1 ;;
	esac
	[ $(( ${#1} + ${#PG_PORT} + 18 )) -le 107 ] || return 1
	pg_as test -x "$1"
}

pg_init() {
	if [ -z "${RUN_DIR:-}" ]; then
		echo "pg.sh: RUN_DIR is not set" >&2
		return 1
	fi
	PG_BINDIR=$(pg_bindir) || return 1
	PG_CTL=$PG_BINDIR/pg_ctl
	if [ "$(id -u)" = 0 ]; then
		PG_USER=postgres
		id "$PG_USER" >/dev/null 2>&1 || {
			echo "pg.sh: no '$PG_USER' user (apt-get install" \
			    "postgresql)" >&2
			return 1
		}
	else
		PG_USER=$(id -un)
	fi
	if [ ! -d "$RUN_DIR/pg" ]; then
		mkdir -p "$RUN_DIR/pg"
		chmod 755 "$RUN_DIR/pg"
		if ! pg_dir_ok "$(cd "$RUN_DIR/pg" && pwd -P)"; then
			rmdir "$RUN_DIR/pg"
			pi_t=$(mktemp -d /tmp/audio-pg.XXXXXX)
			chmod 755 "$pi_t"
			ln -s "$pi_t" "$RUN_DIR/pg"
		fi
	fi
	pi_d=$(cd "$RUN_DIR/pg" && pwd -P)
	PGDATA=$pi_d/data
	PG_SOCKDIR=$pi_d/sock
	PGPASSFILE=$RUN_DIR/pgpass
	export PG_BINDIR PG_CTL PG_USER PGDATA PG_SOCKDIR PG_PORT PG_DB \
	    PG_ROLE PGPASSFILE
}

# pg_pid: the postmaster's pid, from the first line of postmaster.pid.
pg_pid() {
	[ -f "$PGDATA/postmaster.pid" ] || return 1
	pp_p=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || :)
	[ -n "$pp_p" ] && echo "$pp_p"
}

pg_running() {
	pr_p=$(pg_pid) || return 1
	kill -0 "$pr_p" 2>/dev/null
}

# pg_conf: the settings, written into the data directory once, after
# initdb: unix socket only, in PG_SOCKDIR; a log file beside the data; peer
# auth for the superuser, SCRAM passwords for everyone else; fsync stays
# on (the tests count on commits surviving a crash).
pg_conf() {
	cat >>"$PGDATA/postgresql.conf" <<EOF

# ---- tests/lib/pg.sh: a private cluster on a unix socket only
listen_addresses = ''
port = $PG_PORT
unix_socket_directories = '$PG_SOCKDIR'
unix_socket_permissions = 0777
password_encryption = scram-sha-256
max_connections = 100
shared_buffers = 32MB
fsync = on
logging_collector = on
log_directory = '$(dirname "$PGDATA")/log'
log_filename = 'postgresql.log'
log_file_mode = 0644
log_line_prefix = '%m [%p] %q%u@%d '
EOF
	cat >"$PGDATA/pg_hba.conf" <<EOF
# tests/lib/pg.sh: the superuser by peer (the OS user $PG_USER), the rest
# by password (PGPASSFILE).  No TCP: listen_addresses is empty.
local all $PG_USER peer
local all all scram-sha-256
EOF
}

# pg_password: 32 random hex digits.
pg_password() {
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

pg_setup() {
	pg_init || return 1
	if [ ! -f "$PGDATA/PG_VERSION" ]; then
		mkdir -p "$PGDATA" "$PG_SOCKDIR" "$(dirname "$PGDATA")/log"
		chmod 700 "$PGDATA"
		chmod 755 "$PG_SOCKDIR" "$(dirname "$PGDATA")/log"
		if [ "$(id -u)" = 0 ]; then
			chown "$PG_USER" "$PGDATA" "$PG_SOCKDIR" \
			    "$(dirname "$PGDATA")/log"
		fi
		pg_as "$PG_BINDIR/initdb" -D "$PGDATA" -U "$PG_USER" \
		    -E UTF8 --no-locale --auth-local=peer \
		    --auth-host=reject >"$(dirname "$PGDATA")/initdb.log" 2>&1 || {
			echo "pg.sh: initdb failed:" >&2
			tail -n 20 "$(dirname "$PGDATA")/initdb.log" >&2
			return 1
		}
		pg_conf_as
	fi
	pg_start || return 1
	if [ ! -s "$PGPASSFILE" ]; then
		ps_pw=$(pg_password)
		# The password goes through psql's stdin, with statement
		# logging off for the session so no error path can log it.
		# The role and the database may be there already (a cluster
		# whose PGPASSFILE was removed): then only the password changes.
		printf '%s\n' \
		    "SET log_statement = 'none';" \
		    "SET log_min_error_statement = 'panic';" \
		    "SELECT 'CREATE ROLE $PG_ROLE LOGIN' WHERE NOT EXISTS" \
		    "  (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') \\gexec" \
		    "ALTER ROLE $PG_ROLE PASSWORD '$ps_pw';" \
		    "SELECT 'CREATE DATABASE $PG_DB OWNER $PG_ROLE' WHERE NOT EXISTS" \
		    "  (SELECT FROM pg_database WHERE datname = '$PG_DB') \\gexec" |
		    pg_admin -q -v ON_ERROR_STOP=1 -d postgres >/dev/null || {
			echo "pg.sh: could not create role $PG_ROLE" >&2
			return 1
		}
		(umask 077 && printf '%s:%s:*:%s:%s\n' "$PG_SOCKDIR" "$PG_PORT" \
		    "$PG_ROLE" "$ps_pw" >"$PGPASSFILE")
		chmod 600 "$PGPASSFILE"
		ps_pw=
	fi
}

# pg_conf_as: write the settings as PG_USER (they are its files).
pg_conf_as() {
	if [ "$(id -u)" = 0 ]; then
		pg_conf
		chown "$PG_USER" "$PGDATA/postgresql.conf" "$PGDATA/pg_hba.conf"
	else
		pg_conf
	fi
}

pg_start() {
	pg_running && return 0
	pg_as "$PG_CTL" -D "$PGDATA" -w -t 60 -s start >/dev/null 2>&1 || {
		echo "pg.sh: pg_ctl start failed; the server's log:" >&2
		tail -n 20 "$(dirname "$PGDATA")/log/postgresql.log" >&2 2>/dev/null
		return 1
	}
}

pg_stop() {
	pg_running || return 0
	pg_as "$PG_CTL" -D "$PGDATA" -w -t 60 -s -m "${1:-fast}" stop \
	    >/dev/null 2>&1
}

pg_restart() {
	pg_stop && pg_start
}

# pg_kill: pg_ctl starts the postmaster in a session of its own, so its
# pid is its process group: SIGKILL the group, then wait for every
# member (a backend left over would keep the shared memory busy).
pg_kill() {
	pk_p=$(pg_pid) || return 0
	kill -KILL -- "-$pk_p" 2>/dev/null || kill -KILL "$pk_p" 2>/dev/null || :
	pk_n=0
	while kill -0 -- "-$pk_p" 2>/dev/null || kill -0 "$pk_p" 2>/dev/null; do
		pk_n=$((pk_n + 1))
		[ "$pk_n" -lt 300 ] || {
			echo "pg.sh: postmaster $pk_p still there" >&2
			return 1
		}
		sleep 0.1
	done
}

pg_destroy() {
	pg_stop immediate || pg_kill || :
	if [ -L "$RUN_DIR/pg" ]; then
		pd_t=$(readlink "$RUN_DIR/pg")
		case "$pd_t" in
		/tmp/audio-pg.*) rm -rf "$pd_t" ;;
		esac
	fi
	rm -rf "$RUN_DIR/pg" "$PGPASSFILE"
}

pg_dsn() {
	echo "postgresql://$PG_ROLE@:$PG_PORT/${1:-$PG_DB}?host=$PG_SOCKDIR"
}

pg_admin() {
	pg_as "$PG_BINDIR/psql" -X -h "$PG_SOCKDIR" -p "$PG_PORT" \
	    -U "$PG_USER" "$@"
}

pg_createdb() {
	printf 'CREATE DATABASE "%s" OWNER %s;\n' "$1" "$PG_ROLE" |
	    pg_admin -q -v ON_ERROR_STOP=1 -d postgres >/dev/null
}

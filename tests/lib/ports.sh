# ports.sh: where every test script's loopback ports come from (sourced,
# not run; POSIX sh, so the /bin/sh scripts can source it too).
#
# Each script owns a block of ports in the table below, and blocks never
# overlap, so two scripts run side by side by `make -j2 check` cannot take
# each other's ports.  Inside its block a script takes ports with
# port_take, which also reserves them: a lock per port under
# $PORTS_LOCKDIR (one machine-wide directory, so copies of the suite in
# several worktrees see each other), taken under flock and held as long as
# the script's process lives.  A port something else listens on (or holds
# in TIME_WAIT) is passed over.  A variable set in the environment (the
# ones each script names, e.g. BRIDGE_TEST_PORT) wins over the table: the
# team runs scripts in parallel with ranges of their own.
#
# The block of a script is sized for what it needs at once, three times
# over (three copies of it may run on one machine).  The table is the one
# place to read which port range belongs to which script; tests/tools/
# devstack.sh keeps 18080-18091 for `make run`.

PORTS_LOCKDIR=${PORTS_LOCKDIR:-/tmp/audio-test-ports}

# ports_block NAME: set PORTS_LO and PORTS_HI to the block of NAME.
ports_block() {
	# name                first  count
	set -- "$1" "$(awk -v n="$1" '$1 == n { print $2, $3 }' <<'EOF'
api-lighttpd           18000    6
api-pool               18006    6
api-apache             18012    6
api-spawn-fcgi         18018   12
api-original-client    18030    6
api-recordings         18036    6
api-jwks               18042    9
api-limits             18051    6
api-conf               18057    3
api-creds              18060    9
outbox-faults          18069    9
api-fcgi-wire          18078    6
bench-api              18094    2
riva                   18110   60
bridge-ws              18200    9
bridge-riva            18210    6
bridge-load            18216    6
bridge-compat          18222    6
bridge-proxy           18228   12
bridge-flood           18240    6
bridge-users           18246    6
bridge-haproxy         18252   21
bench-bridge           18280    2
eventbridge            18300   10
deliver-events         18310   10
awscred                18320   10
outbox-soak            18453    3
manifest-fence         18520    9
asr-recognizer         18600    6
bench-recognizer       18630    2
web-browser            18640   15
multihost              18660   12
bench-journal          18700   36
journal-pgbouncer      18736    6
journal-pg-faults      18742    6
api-multipart          18800    9
api-integrity          18790    6
api-lifecycle          18780    6
api-sweep              18810    6
bench-sweep            18816    3
api-sse                18830    6
api-crash              18840    9
EOF
)"
	if [ -z "$2" ]; then
		echo "ports.sh: no block for '$1' in tests/lib/ports.sh" >&2
		exit 1
	fi
	PORTS_LO=${2% *}
	PORTS_HI=$((PORTS_LO + ${2#* } - 1))
}

# ports_busy PORT: true if a socket (listening, connected or in TIME_WAIT)
# has PORT as its local port.
ports_busy() {
	[ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]
}

# ports_claim PORT: reserve PORT for this script ($$) if no live process
# holds it and nothing uses it; called under the flock.
ports_claim() {
	pc_f=$PORTS_LOCKDIR/$1
	if [ -f "$pc_f" ]; then
		pc_owner=$(cat "$pc_f" 2>/dev/null)
		[ -n "$pc_owner" ] && kill -0 "$pc_owner" 2>/dev/null && return 1
	fi
	ports_busy "$1" && return 1
	echo $$ >"$pc_f"
}

# port_take VAR N [NAME]: set VAR to the first of N consecutive free ports
# of the block of NAME (by default the script's name without its
# extension), reserved for this script.  Fails the test if there are none.
port_take() {
	ports_block "${3:-$(basename "$0" | sed 's/\.[^.]*$//')}"
	mkdir -p "$PORTS_LOCKDIR" 2>/dev/null || :
	chmod 1777 "$PORTS_LOCKDIR" 2>/dev/null || :
	pt_first=$PORTS_LO
	pt_got=
	{
		flock 9
		while [ $((pt_first + $2 - 1)) -le "$PORTS_HI" ]; do
			pt_k=0
			while [ "$pt_k" -lt "$2" ] &&
			    ports_claim $((pt_first + pt_k)); do
				pt_k=$((pt_k + 1))
			done
			if [ "$pt_k" -eq "$2" ]; then
				pt_got=$pt_first
				break
			fi
			# give back the part of the run claimed before the gap
			while [ "$pt_k" -gt 0 ]; do
				pt_k=$((pt_k - 1))
				rm -f "$PORTS_LOCKDIR/$((pt_first + pt_k))"
			done
			pt_first=$((pt_first + 1))
		done
	} 9>>"$PORTS_LOCKDIR/.lock"
	if [ -z "$pt_got" ]; then
		echo "$0: no $2 free port(s) in $PORTS_LO-$PORTS_HI (tests/lib/ports.sh)" >&2
		exit 1
	fi
	eval "$1=$pt_got"
}

# port_env VAR ENVNAME N [NAME]: VAR is $ENVNAME when the environment sets
# it, else port_take VAR N NAME.
port_env() {
	eval "pe_v=\${$2:-}"
	if [ -n "$pe_v" ]; then
		eval "$1=\$pe_v"
	else
		port_take "$1" "$3" ${4:+"$4"}
	fi
}

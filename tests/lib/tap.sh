# tap.sh: the TAP lines and the exit status of every shell test (sourced,
# not run; POSIX sh).  tests/lib/tap.js is the same for the Node tests.
#
#   ok DESC               ok N - DESC
#   not_ok DESC [WHY...]  not ok N - DESC, then each WHY as "#   " lines:
#                         a file is shown by its last 40 lines, anything
#                         else as it is
#   diag TEXT             # TEXT
#   tap_done              the plan (1..N) and a summary; its status is the
#                         test's: 0 when nothing failed (end a script with it)
#
# There is no skip: a test that cannot run what it checks fails.
# TAP_FAILS counts the failures so far (a script may keep its logs when
# it is not 0).

TAP_N=0
TAP_FAILS=0

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILS=$((TAP_FAILS + 1))
	echo "not ok $TAP_N - $1"
	shift
	for tap_why in "$@"; do
		if [ -f "$tap_why" ]; then
			echo "#   ---- $tap_why"
			tail -n 40 "$tap_why" | cut -c1-400 | sed 's/^/#   /'
		elif [ -n "$tap_why" ]; then
			printf '%s\n' "$tap_why" | sed 's/^/#   /'
		fi
	done
	return 0
}

diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

tap_done() {
	echo "1..$TAP_N"
	echo "# $(basename "$0"): $((TAP_N - TAP_FAILS)) passed, $TAP_FAILS failed"
	[ "$TAP_FAILS" -eq 0 ]
}

#!/bin/sh
# autogen.sh: regenerate the build system.  With --deps, first install every
# dependency a fresh Debian 12 machine lacks (Debian packages, then the pinned
# npm test tools from package-lock.json).  Safe to run again: it only installs
# what is missing.
set -e
cd "$(dirname "$0")"

DEBIAN_PACKAGES="build-essential autoconf automake libtool pkg-config
 libfcgi-dev libcurl4-openssl-dev libssl-dev libjson-c-dev libjwt-dev
 libsqlite3-dev sqlite3 libgrpc-dev libprotobuf-c-dev protobuf-c-compiler
 libcunit1-dev libwebsockets-dev lighttpd lighttpd-mod-openssl apache2
 libapache2-mod-fcgid spawn-fcgi wrk curl openssl nodejs npm jq libev-dev
 libwebsockets-evlib-ev libpocketsphinx-dev pocketsphinx-en-us espeak-ng sox
 chromium ffmpeg clang libclang-rt-14-dev iproute2 util-linux postgresql
 libpq-dev haproxy pgbouncer"

install_deps() {
	missing=""
	for p in $DEBIAN_PACKAGES; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing="$missing $p"
	done
	# The image may carry its own node/npm outside dpkg; don't fight it.
	if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
		missing=$(printf '%s\n' $missing | grep -v -x -e nodejs -e npm | tr '\n' ' ')
	fi
	if [ -n "$(echo $missing)" ]; then
		SUDO=""
		[ "$(id -u)" = 0 ] || SUDO=sudo
		echo "autogen.sh: installing Debian packages:$missing"
		$SUDO apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
	fi
	# The pinned Node test tools (package-lock.json), installed again only
	# when the lock file changed since the last install.
	if [ ! -f node_modules/.package-lock.json ] ||
	    ! cmp -s package-lock.json node_modules/.deps-lock; then
		npm ci --no-audit --no-fund --loglevel=error
		cp package-lock.json node_modules/.deps-lock
	fi
}

case "$1" in
--deps) install_deps ;;
"") ;;
*) echo "usage: $0 [--deps]" >&2; exit 2 ;;
esac
mkdir -p m4
autoreconf -fi

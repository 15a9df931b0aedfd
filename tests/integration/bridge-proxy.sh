#!/bin/sh
# bridge-proxy.sh: audio-bridge behind the web servers our users run, each
# terminating TLS and tunnelling wss://HOST/asr to a plain ws:// bridge on
# loopback, with the shipped snippets (conf/lighttpd-bridge.conf,
# conf/apache-bridge.conf; only the bridge's port is changed): a real
# lighttpd and a real Apache, auth required, the token in ?token= and in
# Sec-WebSocket-Protocol, a whole recognition through each (audio byte for
# byte at the Riva stand-in), refusals passed back, the bridge's /healthz
# and /metrics not exposed.  Also checks conf/audio-bridge.service.
# The web app's snippets (conf/lighttpd-web.conf, conf/apache-web.conf; only
# the document root changed to this tree's web/) go into the same sites:
# the page, its modules with a JavaScript type and the CSP header at /,
# next to /asr.
# Ports: BRIDGE_PROXY_TEST_PORT and the next three, else four of this
# test's block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/bridge-lib.sh"

for tool in lighttpd apache2 openssl curl; do
	command -v "$tool" >/dev/null 2>&1 ||
	    [ -x "/usr/sbin/$tool" ] || {
		echo "$0: $tool missing (./autogen.sh --deps installs it)" >&2
		exit 1
	}
done
LIGHTTPD=$(command -v lighttpd || echo /usr/sbin/lighttpd)
APACHE2=$(command -v apache2 || echo /usr/sbin/apache2)
MODS=${APACHE_MODULES:-/usr/lib/apache2/modules}
[ -f "$MODS/mod_proxy_http.so" ] && [ -f "$MODS/mod_ssl.so" ] || {
	echo "$0: Apache's mod_proxy_http or mod_ssl missing" >&2
	exit 1
}
[ -f /usr/lib/lighttpd/mod_openssl.so ] || {
	echo "$0: lighttpd's mod_openssl missing (lighttpd-mod-openssl)" >&2
	exit 1
}

port_env P BRIDGE_PROXY_TEST_PORT 4	# the bridge
R=$((P + 1))	# the Riva stand-in
LP=$((P + 2))	# lighttpd (TLS)
AP=$((P + 3))	# Apache (TLS)

# ------------------------------------------------------------ the unit
UNIT=$srcdir/conf/audio-bridge.service
check "audio-bridge.service starts the bridge with its config" "$UNIT" \
    '^ExecStart=/usr/local/bin/audio-bridge$' \
    '^ExecStartPre=/usr/local/bin/audio-bridge --check-config$' \
    '^Environment=BRIDGE_LISTEN=127\.0\.0\.1$' '^LimitNOFILE=[0-9]{4,}$'
check_not "audio-bridge.service keeps secrets off the command line" "$UNIT" \
    '^Exec.*(RIVA_API_KEY|key|token|secret)'
# SIGKILL must not cut the drain short.
drain=$(sed -n 's/^#drain_timeout = \([0-9]*\)s$/\1/p' \
    "$srcdir/conf/audio-bridge.conf.example")
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$UNIT")
[ -n "$drain" ] && [ -n "$stop" ] && [ "$stop" -gt "$drain" ] &&
    ok "audio-bridge.service waits longer than drain_timeout ($stop > $drain s)" ||
    not_ok "audio-bridge.service waits longer than drain_timeout ($stop > $drain s)"

# ------------------------------------------------------------ the stack
jwt_setup
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" \
    -out "$T/tls.crt" -days 2 -subj /CN=127.0.0.1 2>/dev/null
cat "$T/tls.crt" "$T/tls.key" >"$T/tls.pem"

pcm "$T/a.pcm" 2
SHA=$(sha256sum "$T/a.pcm" | cut -d' ' -f1)
start_standin si --partial-every 3200 --final-every 16000
start_bridge br "$P" BRIDGE_AUTH=required RIVA_TARGET=127.0.0.1:$R \
    COGNITO_ISSUER=$ISS COGNITO_CLIENT_IDS=client1 \
    COGNITO_JWKS_URL="file://$T/jwks.json"
wait_jwks "$T/br.log"

# lighttpd: its TLS, the shipped snippet with the bridge's port.
sed "s/8443/$P/" "$srcdir/conf/lighttpd-bridge.conf" >"$T/lighttpd-bridge.conf"
sed "s#/usr/local/share/audio-capture/web#$srcdir/web#" \
    "$srcdir/conf/lighttpd-web.conf" >"$T/lighttpd-web.conf"
sed "s#/usr/local/share/audio-capture/web#$srcdir/web#" \
    "$srcdir/conf/apache-web.conf" >"$T/apache-web.conf"
mkdir -p "$T/www"
cat >"$T/lighttpd.conf" <<EOF
server.modules = ( "mod_openssl" )
server.bind = "127.0.0.1"
server.port = $LP
server.document-root = "$T/www"
server.pid-file = "$T/lighttpd.pid"
server.errorlog = "$T/lighttpd-error.log"
ssl.engine = "enable"
ssl.pemfile = "$T/tls.pem"
include "$T/lighttpd-bridge.conf"
include_shell "/usr/share/lighttpd/create-mime.conf.pl"
include "$T/lighttpd-web.conf"
EOF
if ! "$LIGHTTPD" -t -f "$T/lighttpd.conf" >"$T/lighttpd-t.out" 2>&1; then
	not_ok "conf/lighttpd-bridge.conf passes lighttpd -t" "$T/lighttpd-t.out"
	tap_done; exit 1
fi
ok "conf/lighttpd-bridge.conf passes lighttpd -t"
"$LIGHTTPD" -D -f "$T/lighttpd.conf" >"$T/lighttpd.out" 2>&1 &
PIDS="$PIDS $!"

# Apache: mod_ssl, mod_proxy_http, the shipped snippet in the TLS host.
sed "s/8443/$P/" "$srcdir/conf/apache-bridge.conf" >"$T/apache-bridge.conf"
user=$(id -un)
[ "$(id -u)" -eq 0 ] && user=www-data
cat >"$T/apache2.conf" <<EOF
ServerRoot "$T"
ServerName 127.0.0.1
Listen 127.0.0.1:$AP
PidFile "$T/apache.pid"
ErrorLog "$T/apache-error.log"
LogLevel warn
User $user
Group $(id -gn "$user")
Mutex file:$T
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule proxy_module $MODS/mod_proxy.so
LoadModule proxy_http_module $MODS/mod_proxy_http.so
LoadModule ssl_module $MODS/mod_ssl.so
LoadModule alias_module $MODS/mod_alias.so
LoadModule dir_module $MODS/mod_dir.so
LoadModule mime_module $MODS/mod_mime.so
LoadModule headers_module $MODS/mod_headers.so
TypesConfig /etc/mime.types
<VirtualHost 127.0.0.1:$AP>
	SSLEngine on
	SSLCertificateFile "$T/tls.crt"
	SSLCertificateKeyFile "$T/tls.key"
	Include "$T/apache-bridge.conf"
	Include "$T/apache-web.conf"
</VirtualHost>
EOF
if ! "$APACHE2" -t -f "$T/apache2.conf" >"$T/apache-t.out" 2>&1; then
	not_ok "conf/apache-bridge.conf passes apache2 -t" "$T/apache-t.out"
	tap_done; exit 1
fi
ok "conf/apache-bridge.conf passes apache2 -t"
"$APACHE2" -f "$T/apache2.conf" -DFOREGROUND >"$T/apache.out" 2>&1 &
PIDS="$PIDS $!"

for port in $LP $AP; do
	i=0
	until curl -sk -o /dev/null "https://127.0.0.1:$port/"; do
		i=$((i + 1))
		[ $i -gt 200 ] && { echo "# no web server on $port"; break; }
		sleep 0.05
	done
done

# ------------------------------------------------------------ through both
# (not "name": check() in bridge-lib.sh sets that one)
n=0
for front in lighttpd:$LP apache:$AP; do
	fe=${front%%:*}; port=${front#*:}
	URL=wss://127.0.0.1:$port/asr
	$WSCLIENT -k -T 20 -r -a "$T/a.pcm" -P "audio-bridge, bearer.$good" \
	    $URL >"$T/$fe-proto.out"
	check "$fe: wss:// recognition, token in Sec-WebSocket-Protocol" \
	    "$T/$fe-proto.out" '"type":"connection"' \
	    '"type":"transcription"' \
	    '"type":"session_stopped","reason":"stopped by client"' \
	    '"script_done":true'
	$WSCLIENT -k -T 20 -r -a "$T/a.pcm" -t "$good" $URL >"$T/$fe-url.out"
	check "$fe: wss:// recognition, token in ?token=" \
	    "$T/$fe-url.out" '"type":"transcription"' \
	    '"type":"session_stopped","reason":"stopped by client"' \
	    '"script_done":true'
	n=$((n + 2))
	[ "$(count_sha "$T/si.si.log" 64000 "$SHA")" -eq "$n" ] &&
	    ok "$fe: Riva received both streams byte for byte" ||
	    not_ok "$fe: Riva received both streams byte for byte" "$T/si.si.log"
	$WSCLIENT -k -T 5 -s close $URL >"$T/$fe-none.out"
	check "$fe: no token: the bridge's 401 reaches the client" \
	    "$T/$fe-none.out" '"status":401'
	# The web app in the same site: page, modules, worklet, config.
	curl -sk -D "$T/$fe-page.h" -o "$T/$fe-page.html" "https://127.0.0.1:$port/"
	check "$fe: the web app's page at /, with its CSP" "$T/$fe-page.h" \
	    '^HTTP/[0-9.]+ 200' '^[Cc]ontent-[Tt]ype: text/html' \
	    "^[Cc]ontent-[Ss]ecurity-[Pp]olicy: default-src 'self'"
	cmp -s "$T/$fe-page.html" "$srcdir/web/index.html" &&
	    ok "$fe: / is web/index.html" || not_ok "$fe: / is web/index.html"
	for f in js/app.js js/pcm-worklet.js; do
		curl -sk -D "$T/$fe-js.h" -o /dev/null "https://127.0.0.1:$port/$f"
		check "$fe: /$f is served as JavaScript (ES modules need it)" \
		    "$T/$fe-js.h" '^HTTP/[0-9.]+ 200' '^[Cc]ontent-[Tt]ype: text/javascript'
	done
	curl -sk -D "$T/$fe-cfg.h" -o /dev/null "https://127.0.0.1:$port/config.json"
	check "$fe: /config.json is served as JSON" "$T/$fe-cfg.h" \
	    '^HTTP/[0-9.]+ 200' '^[Cc]ontent-[Tt]ype: application/json'
	code=$(curl -sk -o /dev/null -w '%{http_code}' \
	    "https://127.0.0.1:$port/metrics")
	[ "$code" = 404 ] &&
	    ok "$fe: the bridge's /metrics is not exposed" ||
	    not_ok "$fe: the bridge's /metrics is not exposed (got $code)"
done
tap_done

#!/bin/sh
# bridge-users.sh: the per-user limits (a token's sub):
# max_connections_per_user refuses one more upgrade with 429 and frees the
# count when a connection closes; max_recognitions_per_user refuses one
# more start with an error coded rate_limited; another user is not
# affected.
# Ports: BRIDGE_USERS_TEST_PORT and the next one, else two of this test's
# block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/bridge-lib.sh"

port_env P BRIDGE_USERS_TEST_PORT 2; R=$((P + 1))
URL=ws://127.0.0.1:$P/
ISS=https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_USERS
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/k.pem" 2>/dev/null
$JWTMINT jwks "$T/k.pem" kid1 >"$T/jwks.json"
alice=$($JWTMINT token "$T/k.pem" kid1 $ISS client1 \
    aaaaaaaa-1111-2222-3333-444444444444)
bob=$($JWTMINT token "$T/k.pem" kid1 $ISS client1 \
    bbbbbbbb-1111-2222-3333-444444444444)
pcm "$T/a.pcm" 4
start_standin si --partial-every 3200 --final-every 32000
start_bridge users "$P" BRIDGE_AUTH=required RIVA_TARGET=127.0.0.1:$R \
    COGNITO_ISSUER=$ISS COGNITO_CLIENT_IDS=client1 \
    COGNITO_JWKS_URL="file://$T/jwks.json" \
    BRIDGE_MAX_CONNECTIONS_PER_USER=3 BRIDGE_MAX_RECOGNITIONS_PER_USER=2
wait_jwks "$T/users.log"

# Three connections of alice held for 3 s.
HELD=""
for i in 1 2 3; do
	$WSCLIENT -T 20 -t "$alice" -s 'sleep=3000;close' $URL \
	    >"$T/held$i.out" 2>&1 &
	HELD="$HELD $!"
done
sleep 1
$WSCLIENT -T 5 -t "$alice" -s close $URL >"$T/fourth.out" 2>&1
check "a 4th connection of one user is 429" "$T/fourth.out" '"status":429'
curl -s -i -m 5 "http://127.0.0.1:$P/?token=$alice" -H 'Connection: Upgrade' \
    -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' >"$T/fourth.http" 2>&1
check "... with a JSON body naming the limit" "$T/fourth.http" \
    '"code":"rate_limited"' 'max_connections_per_user'
$WSCLIENT -T 5 -t "$bob" -s 'ping;wait=pong;close' $URL >"$T/bob.out" 2>&1
check "another user connects meanwhile" "$T/bob.out" '"type":"pong"'
for p in $HELD; do wait "$p"; done
$WSCLIENT -T 5 -t "$alice" -s 'ping;wait=pong;close' $URL >"$T/again.out" 2>&1
check "closed connections free the count: the user connects again" \
    "$T/again.out" '"type":"pong"'

# Two recognitions of alice (4 s of audio at real time); a third start.
RECS=""
for i in 1 2; do
	$WSCLIENT -T 30 -r -t "$alice" -a "$T/a.pcm" $URL \
	    >"$T/rec$i.out" 2>&1 &
	RECS="$RECS $!"
done
sleep 1.5
$WSCLIENT -T 10 -t "$alice" -s 'start;wait=error;close' $URL \
    >"$T/third.out" 2>&1
check "a 3rd recognition of one user is refused, coded rate_limited" \
    "$T/third.out" '"code":"rate_limited"' 'max_recognitions_per_user'
$WSCLIENT -T 10 -t "$bob" -s 'start;wait=session_started;stop;wait=session_stopped;close' \
    $URL >"$T/bobrec.out" 2>&1
check "another user's recognition starts meanwhile" "$T/bobrec.out" \
    '"type":"session_started"' '"type":"session_stopped"'
for p in $RECS; do wait "$p"; done
check "the two running recognitions finished" "$T/rec1.out" \
    '"type":"transcription"' '"type":"session_stopped"'
check "... both" "$T/rec2.out" '"type":"transcription"' \
    '"type":"session_stopped"'
$WSCLIENT -T 10 -t "$alice" -s 'start;wait=session_started;stop;wait=session_stopped;close' \
    $URL >"$T/after.out" 2>&1
check "finished recognitions free the count" "$T/after.out" \
    '"type":"session_started"' '"type":"session_stopped"'
curl -s "http://127.0.0.1:$P/metrics" >"$T/m.txt"
check "/metrics counts the refusals (two upgrades, one start)" "$T/m.txt" \
    '^audio_bridge_errors_total\{kind="user_limit"\} 3$'
stop_pid "$BRIDGE_PID"
echo "rc=$STOP_RC" >"$T/rc"
check "bridge exits 0" "$T/rc" '^rc=0$'
tap_done

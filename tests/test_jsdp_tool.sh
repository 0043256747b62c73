#!/bin/sh
# test_jsdp_tool.sh JINGLE_SDP DATADIR: runs the jingle-sdp tool on fixtures
# both ways and checks exit codes: 0 for good input, 1 for bad input, 2 for
# bad usage.
set -u
tool=$1; data=$2; tmp=${TMPDIR:-/tmp}/jsdp_tool.$$
trap 'rm -f "$tmp".*' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# SDP -> Jingle -> SDP -> Jingle: the two Jingle outputs are identical.
"$tool" to-jingle --role initiator --sid s1 < "$data/sdp/chrome-audio-offer-ipv6-tcp-candidates.sdp" \
    > "$tmp.1.xml" 2> "$tmp.err" || fail "to-jingle exit $?"
grep -q "<jingle xmlns=\"urn:xmpp:jingle:1\" action=\"session-initiate\"" "$tmp.1.xml" || fail "no jingle"
grep -q "warning: candidate extension 'network-cost'" "$tmp.err" || fail "warning not printed"
"$tool" to-sdp < "$tmp.1.xml" > "$tmp.2.sdp" || fail "to-sdp exit $?"
grep -q "^a=candidate:2665802302 1 udp 2122262783 2001:db8::1 38475 typ host" "$tmp.2.sdp" || fail "no candidate"
"$tool" to-jingle --role initiator --sid s1 < "$tmp.2.sdp" > "$tmp.3.xml" 2>/dev/null || fail "to-jingle 2"
cmp -s "$tmp.1.xml" "$tmp.3.xml" || fail "round trip differs"

# A whole <iq> in, a classic desk phone SDP out, and back.
"$tool" to-sdp < "$data/jingle/xep0177-session-initiate-raw-udp.xml" > "$tmp.4.sdp" || fail "iq to-sdp"
grep -q "^m=audio 13540 RTP/AVP 18" "$tmp.4.sdp" || fail "raw-udp port"
grep -q "^c=IN IP4 10.1.1.104" "$tmp.4.sdp" || fail "raw-udp c="
"$tool" to-jingle --role responder < "$data/sdp/polycom-sdes-srtp-offer.sdp" > "$tmp.5.xml" || fail "polycom"
grep -q 'action="session-accept"' "$tmp.5.xml" || fail "responder action"

# Bad input: exit 1 and an error naming the line.
printf 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nm=audio 99999 RTP/AVP 0\r\n' | "$tool" to-jingle \
    > /dev/null 2> "$tmp.err"
[ $? -eq 1 ] || fail "bad sdp exit"
grep -q "error: sdp line 4" "$tmp.err" || fail "error text"
echo "<jingle" | "$tool" to-sdp > /dev/null 2>&1
[ $? -eq 1 ] || fail "bad xml exit"
# Usage: exit 2.
"$tool" sideways < /dev/null > /dev/null 2>&1
[ $? -eq 2 ] || fail "usage exit"
"$tool" to-jingle --role both < /dev/null > /dev/null 2>&1
[ $? -eq 2 ] || fail "bad role exit"
echo "1 passed, 0 failed"

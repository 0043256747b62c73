#!/bin/sh
# Kamailio for docker/compose.yaml: waits (30 s at most) for the gateway's
# SIP password, renders kamailio.cfg.in into a private directory and runs
# Kamailio in the foreground, logging to stderr.
#   LISTEN_ADDRESS (127.0.0.1), SIP_PORT (5060, UDP and TCP),
#   PBX_DOMAIN (pbx.localhost: users NNNN, password NNNNpw),
#   GATEWAY_DOMAIN (gw.localhost), GATEWAY_USER (gateway),
#   GATEWAY_PASSWORD_FILE (/secrets/sip.password), KAMAILIO_SHM_MB (64)
set -eu
address=${LISTEN_ADDRESS:-127.0.0.1}
port=${SIP_PORT:-5060}
pwfile=${GATEWAY_PASSWORD_FILE:-/secrets/sip.password}
run=$(mktemp -d /tmp/kamailio.XXXXXX)

n=0
while [ ! -s "$pwfile" ]; do
  n=$((n + 1))
  if [ $n -gt 60 ]; then
    echo "kamailio: no gateway password in $pwfile after 30 s" >&2
    exit 1
  fi
  sleep 0.5
done
password=$(head -n 1 "$pwfile")
case "$password" in
  *[!A-Za-z0-9._~+=-]*) echo "kamailio: the gateway password may hold only letters, digits and ._~+=-" >&2; exit 1 ;;
esac
mpath=""
for d in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
  if [ -f "$d/tm.so" ]; then mpath=$d; break; fi
done
[ -n "$mpath" ] || { echo "kamailio: modules not found" >&2; exit 1; }

umask 077
sed -e "s|@MPATH@|$mpath|g" \
    -e "s|@ADDRESS@|$address|g" \
    -e "s|@PORT@|$port|g" \
    -e "s|@PBX_DOMAIN@|${PBX_DOMAIN:-pbx.localhost}|g" \
    -e "s|@GATEWAY_DOMAIN@|${GATEWAY_DOMAIN:-gw.localhost}|g" \
    -e "s|@GATEWAY_USER@|${GATEWAY_USER:-gateway}|g" \
    -e "s|@GATEWAY_PASSWORD@|$password|g" \
    /etc/kamailio/xmpp-sip-gateway-demo.cfg.in > "$run/kamailio.cfg"
exec kamailio -DD -E -f "$run/kamailio.cfg" -m "${KAMAILIO_SHM_MB:-64}" -M 8 \
  -Y "$run" -P "$run/kamailio.pid" \
  -l "udp:$address:$port" -l "tcp:$address:$port"

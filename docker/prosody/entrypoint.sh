#!/bin/sh
# Prosody for docker/compose.yaml: waits (30 s at most) for the component
# secret, registers the demo users of PROSODY_USERS ("name:password ..."),
# then runs Prosody in the foreground, logging to the console.
set -eu
cfg=${PROSODY_CONFIG:-/etc/prosody/xmpp-sip-gateway-demo.cfg.lua}
secret=${COMPONENT_SECRET_FILE:-/secrets/component.secret}
domain=${XMPP_DOMAIN:-localhost}

n=0
while [ ! -s "$secret" ]; do
  n=$((n + 1))
  if [ $n -gt 60 ]; then
    echo "prosody: no component secret in $secret after 30 s" >&2
    exit 1
  fi
  sleep 0.5
done
for u in ${PROSODY_USERS:-}; do
  prosodyctl --config "$cfg" register "${u%%:*}" "$domain" "${u#*:}" \
    || { echo "prosody: could not register ${u%%:*}@$domain" >&2; exit 1; }
done
exec prosody -F --config "$cfg"

#!/bin/bash
# HEALTHCHECK of the xmpp-sip-gateway image: GET /health on the address of
# [admin] http_listen in the configuration in use (the mounted $GW_CONFIG,
# else the one the entry point generated). 200 (body "ok") is healthy;
# anything else, or no answer, is not. Without [admin] http_listen (off, or
# a gateway version without it) there is nothing to ask: healthy as long as
# the container runs. No curl: bash's /dev/tcp.
set -u

CONFIG=${GW_CONFIG:-/etc/xmpp-sip-gateway/gateway.conf}
[ -f "$CONFIG" ] || CONFIG=${GW_RUNTIME_DIR:-/tmp/xmpp-sip-gateway}/gateway.conf

# the value of [admin] http_listen (GKeyFile: "[group]", "key = value", #)
addr=""
group=""
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%$'\r'}
  case "$line" in
    '#'*|'') continue ;;
    '['*']') group=${line#[}; group=${group%]}; continue ;;
  esac
  if [ "$group" = admin ]; then
    key=${line%%=*}; key=${key//[[:space:]]/}
    if [ "$key" = http_listen ]; then
      addr=${line#*=}
      addr=${addr#"${addr%%[![:space:]]*}"}
      addr=${addr%"${addr##*[![:space:]]}"}
    fi
  fi
done < "$CONFIG" 2>/dev/null

if [ -z "$addr" ]; then
  echo "no health endpoint ([admin] http_listen not set in $CONFIG): the gateway is running"
  exit 0
fi

case "$addr" in
  \[*\]:*) host=${addr%]:*}; host=${host#[}; port=${addr##*]:} ;;
  *:*) host=${addr%:*}; port=${addr##*:} ;;
  *) echo "unreadable [admin] http_listen: $addr"; exit 1 ;;
esac
case "$host" in
  0.0.0.0|'') host=127.0.0.1 ;;
  ::) host=::1 ;;
esac

if ! { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null; then
  echo "health endpoint $addr: no connection"
  exit 1
fi
printf 'GET /health HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' \
  "$addr" >&3
if ! IFS= read -r -t 4 status <&3; then
  echo "health endpoint $addr: no answer"
  exit 1
fi
status=${status%$'\r'}
# the body: what follows the empty line ending the header
body=""
in_body=0
while IFS= read -r -t 2 line <&3 || [ -n "${line:-}" ]; do
  line=${line%$'\r'}
  if [ $in_body = 1 ]; then body+="$line "; elif [ -z "$line" ]; then in_body=1; fi
  [ ${#body} -lt 512 ] || break
done
exec 3<&-
echo "health endpoint $addr: $status: ${body% }"
case "$status" in
  'HTTP/1.'[01]' 200'*) exit 0 ;;
  *) exit 1 ;;
esac

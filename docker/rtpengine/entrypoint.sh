#!/bin/sh
# rtpengine for docker/compose.yaml, in the foreground, userspace only:
#   LISTEN_ADDRESS (127.0.0.1: media and control), RTPENGINE_NG_PORT (2223,
#   the ng control protocol, UDP), RTP_PORT_MIN / RTP_PORT_MAX (30000/30199)
# Further arguments are passed on (e.g. --log-level=7).
set -eu
address=${LISTEN_ADDRESS:-127.0.0.1}
exec rtpengine --config-file=none --foreground --log-stderr --table=-1 \
  --interface="$address" --listen-ng="$address:${RTPENGINE_NG_PORT:-2223}" \
  --port-min="${RTP_PORT_MIN:-30000}" --port-max="${RTP_PORT_MAX:-30199}" "$@"

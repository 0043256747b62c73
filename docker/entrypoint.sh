#!/bin/bash
# Entry point of the xmpp-sip-gateway image (docker/Dockerfile).
#
# Configuration, one of:
#  - a file mounted at $GW_CONFIG (default /etc/xmpp-sip-gateway/gateway.conf):
#    used as it is;
#  - otherwise environment variables, one per configuration key:
#    [group] key is GW_GROUP_KEY (upper case), e.g. [xmpp] component_domain
#    is GW_XMPP_COMPONENT_DOMAIN and [sip] outbound_proxy is
#    GW_SIP_OUTBOUND_PROXY. Every key `xmpp-sip-gateway --help-config` lists
#    has its variable; values are written as they would be in the file. The
#    file is generated in $GW_RUNTIME_DIR and printed (it holds no secret).
#    Secrets: GW_XMPP_SECRET_FILE / GW_SIP_PASSWORD_FILE name files (the
#    config's own secret_file / password_file keys); GW_XMPP_SECRET /
#    GW_SIP_PASSWORD given directly are written to a file of mode 0600 in
#    $GW_RUNTIME_DIR and removed from the gateway's environment.
#    Defaults of the image (set the variable empty to leave the key out):
#      GW_SIP_LISTEN=sip:0.0.0.0:5070
#      GW_PRESENCE_STATE_FILE=/var/lib/xmpp-sip-gateway/presence.state
#      GW_ADMIN_HTTP_LISTEN=127.0.0.1:9464   (only if the binary has the key)
#      GW_SIP_REGISTER=true when GW_SIP_REGISTRAR is set
#
# Either way the configuration is checked with --check-config first; a
# configuration that is refused ends the container with exit status 2.
#
# Other variables: GW_CONFIG, GW_RUNTIME_DIR (default /tmp/xmpp-sip-gateway),
# GW_FILE_WAIT_S (how long to wait for secret files named by
# GW_XMPP_SECRET_FILE / GW_SIP_PASSWORD_FILE to appear, default 10).
#
# Arguments: options are passed to the gateway (-v, -vv, --check-config,
# --map ADDRESS ...); --version, --help and --help-config run without a
# configuration; a first argument that is not an option is run instead of
# the gateway (e.g. `bash`).
set -euo pipefail

BIN=/usr/bin/xmpp-sip-gateway
CONFIG=${GW_CONFIG:-/etc/xmpp-sip-gateway/gateway.conf}
RUNDIR=${GW_RUNTIME_DIR:-/tmp/xmpp-sip-gateway}
FILE_WAIT_S=${GW_FILE_WAIT_S:-10}
RESERVED="GW_CONFIG GW_RUNTIME_DIR GW_FILE_WAIT_S"

say() { printf 'entrypoint: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  exec "$@"
fi
direct=0        # the gateway checks or maps, no check first
for a in "$@"; do
  case "$a" in
    -h|--help|--help-*|-V|--version|-c|--config|--config=*) exec "$BIN" "$@" ;;
    --check-config|--map|--map=*) direct=1 ;;
  esac
done

# "group.key" for every key this binary knows
keys=$("$BIN" --help-config | awk '
  /^\[[a-z0-9_]+\]$/ { g = substr($0, 2, length($0) - 2); next }
  g != "" && /^  [a-z][a-z0-9_]*( |$)/ { print g "." $1 }')
if ! grep -qxF 'xmpp.component_domain' <<<"$keys"; then
  die "cannot read the key list of $BIN --help-config"
fi
has_key() { grep -qxF "$1" <<<"$keys"; }
var_of() { local g=${1%%.*} k=${1#*.}; printf 'GW_%s_%s' "${g^^}" "${k^^}"; }

check() {
  local out rc=0
  out=$("$BIN" --config "$1" --check-config 2>&1) || rc=$?
  [ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/entrypoint: | /' >&2
  if [ "$rc" != 0 ]; then
    say "the configuration $1 was refused by --check-config (above)$2"
    exit 2
  fi
}

if [ -f "$CONFIG" ]; then
  set_vars=()
  while IFS= read -r gk; do
    v=$(var_of "$gk")
    if [ -n "${!v+x}" ]; then set_vars+=("$v"); fi
  done <<<"$keys"
  if [ ${#set_vars[@]} -gt 0 ]; then
    say "$CONFIG is mounted: ignoring ${set_vars[*]}"
  fi
  if [ -r "$CONFIG" ]; then :; else
    die "$CONFIG is not readable by uid $(id -u): give it mode 0644 or owner $(id -u)"
  fi
  say "configuration: $CONFIG (mounted)"
  if [ "$direct" = 0 ]; then check "$CONFIG" ""; fi
  exec "$BIN" --config "$CONFIG" "$@"
fi

# ---- generate the configuration from GW_* variables ------------------------

# Every GW_ variable must be a key's (a typo would otherwise be lost).
declare -A wanted=()
while IFS= read -r gk; do wanted[$(var_of "$gk")]=1; done <<<"$keys"
for r in $RESERVED; do wanted[$r]=1; done
while IFS= read -r v; do
  case "$v" in GW_*) ;; *) continue ;; esac
  if [ -z "${wanted[$v]+x}" ]; then
    if [ "$v" = GW_ADMIN_HTTP_LISTEN ]; then
      say "this gateway has no [admin] http_listen: GW_ADMIN_HTTP_LISTEN" \
          "ignored (no health endpoint; the healthcheck only sees the process)"
      continue
    fi
    die "$v is not a configuration variable: [group] key is GW_GROUP_KEY" \
        "for the keys of \`xmpp-sip-gateway --help-config\`; or mount a" \
        "configuration file at $CONFIG"
  fi
done < <(compgen -e)

# defaults of the image, only where the variable is not set at all
default() { if has_key "$1"; then v=$(var_of "$1"); [ -n "${!v+x}" ] || export "$v=$2"; fi; }
default sip.listen "sip:0.0.0.0:5070"
default presence.state_file /var/lib/xmpp-sip-gateway/presence.state
default admin.http_listen 127.0.0.1:9464
if [ -n "${GW_SIP_REGISTRAR:-}" ]; then default sip.register true; fi

if ! install -d -m 0700 "$RUNDIR" 2>/dev/null || [ ! -w "$RUNDIR" ]; then
  die "cannot write to GW_RUNTIME_DIR=$RUNDIR (uid $(id -u)): set it to a writable directory"
fi
cfg=$RUNDIR/gateway.conf

# secret files (GW_XMPP_SECRET_FILE ...): wait a little for them to appear
wait_file() {
  local v=$1 f=$2 end=$((SECONDS + FILE_WAIT_S))
  while [ ! -e "$f" ] && [ $SECONDS -lt $end ]; do sleep 0.5; done
  [ -e "$f" ] || die "$v: $f does not exist (waited ${FILE_WAIT_S} s)"
  [ -r "$f" ] || die "$v: $f is not readable by uid $(id -u) (the gateway's user): give it mode 0444/0644 or owner $(id -u)"
}

declare -A body=()
groups=()
secrets_used=()
while IFS= read -r gk; do
  g=${gk%%.*} k=${gk#*.}
  v=$(var_of "$gk")
  [ -n "${!v:-}" ] || continue
  val=${!v}
  case "$val" in *$'\n'*|*$'\r'*) die "$v holds a line break" ;; esac
  if has_key "$g.${k}_file"; then
    # a secret given directly: into a private file, the config names it
    fv=$(var_of "$g.${k}_file")
    [ -z "${!fv:-}" ] || die "give $v or $fv, not both"
    install -d -m 0700 "$RUNDIR/secrets"
    (umask 077; printf '%s\n' "$val" > "$RUNDIR/secrets/$g.$k")
    k=${k}_file
    val=$RUNDIR/secrets/$g.${gk#*.}
    secrets_used+=("$v")
  elif [[ $k == *_file ]] && has_key "$g.${k%_file}"; then
    wait_file "$v" "$val"       # a secret's file
  fi
  if [ -z "${body[$g]+x}" ]; then groups+=("$g"); body[$g]=""; fi
  body[$g]+="$k = $val"$'\n'
done <<<"$keys"

{
  echo "# generated by the image's entry point from GW_* variables"
  for g in "${groups[@]}"; do
    printf '\n[%s]\n%s' "$g" "${body[$g]}"
  done
} > "$cfg"
for v in "${secrets_used[@]}"; do unset "$v"; done

say "configuration generated from the environment: $cfg"
sed 's/^/entrypoint: | /' "$cfg" >&2
if [ "$direct" = 0 ]; then
  check "$cfg" "; it was generated from GW_* variables ([group] key is GW_GROUP_KEY)"
fi
exec "$BIN" --config "$cfg" "$@"

#!/bin/sh
# Writes random secrets into /secrets unless they are there already; never
# prints them. Each file appears whole (renamed into place), mode 0444: the
# services reading them run as different unprivileged users, and only the
# demo's containers mount the volume.
set -eu
dir=${SECRETS_DIR:-/secrets}
for name in component.secret sip.password; do
  f=$dir/$name
  if [ -s "$f" ]; then
    echo "demo-secrets: $f is there, kept"
    continue
  fi
  tmp=$(mktemp "$dir/.$name.XXXXXX")
  { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; echo; } > "$tmp"
  chmod 0444 "$tmp"
  mv "$tmp" "$f"
  echo "demo-secrets: generated $f"
done

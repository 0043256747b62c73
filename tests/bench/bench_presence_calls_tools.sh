#!/bin/bash
# Builds xmpppeer and sipwatchers into BUILD/tests/bench: through CMake when
# tests/bench/CMakeLists.txt includes presence_calls.cmake, else directly
# with the compiler (same flags as the project: C11, _GNU_SOURCE, -O2).
#   tests/bench/bench_presence_calls_tools.sh BUILD
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1
if cmake --build "$build" --target xmpppeer sipwatchers -j2 >/dev/null 2>&1; then
    exit 0
fi
out="$build/tests/bench"
mkdir -p "$out"
cc=${CC:-cc}
flags="-std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes"
glib_cflags=$(pkg-config --cflags glib-2.0)
glib_libs=$(pkg-config --libs glib-2.0)
# shellcheck disable=SC2086
$cc $flags $glib_cflags -I"$here" -o "$out/xmpppeer" "$here/xmpppeer.c" \
    "$here/load_common.c" $glib_libs
# shellcheck disable=SC2086
$cc $flags $glib_cflags -o "$out/sipwatchers" "$here/sipwatchers.c" $glib_libs

#!/usr/bin/env bash
# Installs the core into a scratch prefix, then builds examples/c/mlp.c against
# the INSTALLED library twice — with pkg-config and with find_package(mxcore) —
# and checks that the example trains (its loss halves; exit code 0).
set -euo pipefail
build_dir=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
test -f "$prefix/include/mxcore/mxcore.h"
pc_dir=$(dirname "$(find "$prefix" -name mxcore.pc | head -1)")
export PKG_CONFIG_PATH=$pc_dir
cc "$src/examples/c/mlp.c" $(pkg-config --cflags --libs mxcore) -lm -o "$prefix/mlp_pc"
"$prefix/mlp_pc"
cmake -S "$src/examples/c" -B "$prefix/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cmake-build" >/dev/null
"$prefix/cmake-build/mlp" | tail -1

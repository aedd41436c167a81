#!/usr/bin/env bash
# Installs the core into a scratch prefix, then builds examples/c/mlp.c against
# the INSTALLED library twice — with pkg-config and with find_package(mxcore) —
# and checks that the example trains (its loss halves; exit code 0); then
# builds examples/c/predict.c and checks it predicts what MXNet 1.9.1 predicted
# for two checkpoints MXNet exported.
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
# predict.c serves checkpoints MXNet 1.9.1 exported: its output must equal
# MXNet's (the "y" in the input file) to 1e-4, else it exits 1
ref="$src/tests/data/mxnet_ref"
for m in mlp cnn_bn; do
  "$prefix/cmake-build/predict" "$ref/$m" 0 "$ref/$m-io.params"
done
cc "$src/examples/c/predict.c" $(pkg-config --cflags --libs mxcore) -lm -o "$prefix/predict_pc"
"$prefix/predict_pc" "$ref/cnn_bn" 0 "$ref/cnn_bn-io.params" | tail -1

#!/bin/sh
# Build and test the R, Scala and Perl bindings against an installed core.
#   MXCORE_PREFIX=/path/to/install tests/bindings/run_all.sh [r|scala|perl ...]
# Each binding regenerates its op wrappers from that core's registry manifest
# (tools/codegen), so the suites always match the library they run against.
# PYTHON: a python with cffi (default python3). Exit status: failed suites.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${MXCORE_PREFIX:?set MXCORE_PREFIX to an installed mxcore (include/, lib/)}"
MXCORE_PREFIX=$(cd "$MXCORE_PREFIX" && pwd)
PYTHON=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
MXCORE_VECTORS="$ROOT/tests/vectors/vectors.json"
export MXCORE_PREFIX PYTHON MXCORE_VECTORS
SUITES=${*:-r scala perl}
FAILED=""

"$PYTHON" "$ROOT/tests/vectors/make_vectors.py" --check || FAILED="$FAILED vectors"

run_r() {
  lib=$(mktemp -d)
  R CMD INSTALL --no-test-load -l "$lib" "$ROOT/bindings/r" >"$lib/install.log" 2>&1 || { cat "$lib/install.log"; return 1; }
  cd "$ROOT/bindings/r/tests/testthat" &&
  R_LIBS="$lib" Rscript -e 'library(testthat); library(mxcore);
    r <- as.data.frame(test_dir(".", package = "mxcore", load_package = "installed", stop_on_failure = FALSE));
    quit(status = as.integer(sum(r$failed) + sum(r$error) > 0))'
}
run_scala() { make -C "$ROOT/bindings/scala" jar test; }
run_perl() {
  cd "$ROOT/bindings/perl" && perl Makefile.PL && make && make test
}

for s in $SUITES; do
  echo "=== $s ==="
  if ( "run_$s" ); then echo "=== $s: PASS ==="; else echo "=== $s: FAIL ==="; FAILED="$FAILED $s"; fi
done
[ -z "$FAILED" ] && { echo "all binding suites passed"; exit 0; }
echo "FAILED:$FAILED"
exit 1

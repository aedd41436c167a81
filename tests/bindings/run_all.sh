#!/bin/sh
# Build and test the R, Scala and Perl bindings against an installed core.
#   MXCORE_PREFIX=/path/to/install [PYTHON=python3] tests/bindings/run_all.sh [STEP ...]
# STEP: r r-check scala perl (default: all). Always run first: the vectors
# freshness check and the seed-MLP reference; last: Python's check of the
# weights each binding trained (mlp-verify).
#
# Each binding regenerates its op wrappers from that core's registry manifest
# (tools/codegen), so the suites always match the library they run against.
# The seed-MLP reference (tests/vectors/make_mlp_reference.py) is generated
# here by the Python package over the same library, into a scratch directory
# (MXCORE_MLP_DIR); every binding trains from it and saves its weights into
# MXCORE_MLP_OUT, which Python then checks.
#
# Needs: PYTHON with numpy and cffi; R with testthat and jsonlite; scalac,
# javac and JNA (/usr/share/java/jna.jar); perl with FFI::Platypus.
# MXCORE_BINDINGS_WORK: scratch directory to use and keep (default: a
# temporary one, removed at exit). Exit status: 0 iff every step passed.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${MXCORE_PREFIX:?set MXCORE_PREFIX to an installed mxcore (include/, lib/)}"
[ -f "$MXCORE_PREFIX/lib/libmxcore.so" ] || { echo "run_all.sh: no lib/libmxcore.so under MXCORE_PREFIX=$MXCORE_PREFIX" >&2; exit 2; }
MXCORE_PREFIX=$(cd "$MXCORE_PREFIX" && pwd)
PYTHON=${PYTHON:-python3}
PYTHON=$(command -v "$PYTHON" || echo "$PYTHON")
MXCORE_VECTORS="$ROOT/tests/vectors/vectors.json"
MXCORE_MXNET_REF="$ROOT/tests/data/mxnet_ref"  # MXNet 1.9.1 model files every binding loads
MXCORE_CODEGEN="$ROOT/tools/codegen"
if [ -n "${MXCORE_BINDINGS_WORK:-}" ]; then
  WORK=$MXCORE_BINDINGS_WORK; mkdir -p "$WORK"
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/mxcore-bindings.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
fi
WORK=$(cd "$WORK" && pwd)
MXCORE_MLP_DIR="$WORK/mlp"
MXCORE_MLP_OUT="$WORK/trained"
rm -rf "$MXCORE_MLP_OUT" && mkdir -p "$MXCORE_MLP_OUT"
export MXCORE_PREFIX PYTHON MXCORE_VECTORS MXCORE_MXNET_REF MXCORE_CODEGEN MXCORE_MLP_DIR MXCORE_MLP_OUT
STEPS=${*:-r r-check scala perl}
SUMMARY=""
FAILED=""

# python over the library under test (the source package, not an installed one)
py_mx() { PYTHONPATH="$ROOT/bindings/python" MXCORE_LIB="$MXCORE_PREFIX/lib/libmxcore.so" "$PYTHON" "$@"; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "missing tool: $1 ($2)"; return 1; }; }

step_vectors() {
  need "$PYTHON" "set PYTHON" && "$PYTHON" -c 'import numpy, cffi' &&
  "$PYTHON" "$ROOT/tests/vectors/make_vectors.py" --check
}
step_mlp_reference() {
  py_mx "$ROOT/tests/vectors/make_mlp_reference.py" --out "$MXCORE_MLP_DIR" &&
  py_mx "$ROOT/tests/vectors/make_mlp_reference.py" --check --out "$MXCORE_MLP_DIR"  # deterministic
}
step_r() {
  need R "r-base-core" && need Rscript "r-base-core" || return 1
  lib="$WORK/r-lib"; rm -rf "$lib"; mkdir -p "$lib"
  # --preclean: object files left in src/ by an earlier build against another prefix would be relinked as is
  R CMD INSTALL --preclean --no-test-load -l "$lib" "$ROOT/bindings/r" >"$WORK/r-install.log" 2>&1 ||
    { cat "$WORK/r-install.log"; return 1; }
  cd "$ROOT/bindings/r/tests/testthat" &&
  R_LIBS="$lib" Rscript -e 'library(testthat); library(mxcore);
    r <- as.data.frame(test_dir(".", package = "mxcore", load_package = "installed", stop_on_failure = FALSE));
    quit(status = as.integer(sum(r$failed) + sum(r$error) > 0 || nrow(r) == 0))'
}
# R CMD check of the built source package: no ERROR or WARNING allowed (NOTEs are).
step_r_check() {
  need R "r-base-core" || return 1
  d="$WORK/r-check"; rm -rf "$d"; mkdir -p "$d"
  (cd "$d" && R CMD build --no-build-vignettes "$ROOT/bindings/r") >"$WORK/r-build.log" 2>&1 ||
    { cat "$WORK/r-build.log"; return 1; }
  (cd "$d" && _R_CHECK_FORCE_SUGGESTS_=false R CMD check --no-manual mxcore_*.tar.gz) >"$WORK/r-check.log" 2>&1
  rc=$?
  grep -E '^\* checking .*(NOTE|WARNING|ERROR)$|^Status:' "$WORK/r-check.log"
  status=$(grep '^Status:' "$WORK/r-check.log")
  if [ $rc -ne 0 ] || [ -z "$status" ] || echo "$status" | grep -qE 'ERROR|WARNING'; then
    cat "$WORK/r-check.log"
    for f in "$d"/mxcore.Rcheck/00install.out "$d"/mxcore.Rcheck/tests/testthat.Rout.fail; do
      [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }
    done
    return 1
  fi
}
step_scala() {
  need scalac "scala" && need javac "default-jdk" || return 1
  make -C "$ROOT/bindings/scala" PYTHON="$PYTHON" jar test
}
step_perl() {
  need perl "perl" && need make "make" || return 1
  cd "$ROOT/bindings/perl" && perl Makefile.PL && make && make test
}
# Python loads the weights each binding trained and saved: equal to its own
# trained weights, same predictions.
step_mlp_verify() {
  files=""
  for s in $STEPS; do
    case $s in
      r|r-check) f="$MXCORE_MLP_OUT/trained-r.params" ;;
      scala|perl) f="$MXCORE_MLP_OUT/trained-$s.params" ;;
      *) continue ;;
    esac
    case " $files " in *" $f "*) continue ;; esac
    [ -f "$f" ] || { echo "missing $f: the $s suite did not save its trained MLP"; return 1; }
    files="$files $f"
  done
  [ -n "$files" ] || { echo "no binding step ran"; return 0; }
  # shellcheck disable=SC2086
  py_mx "$ROOT/tests/vectors/make_mlp_reference.py" --out "$MXCORE_MLP_DIR" --verify $files
}

run_step() {
  name=$1; fn=step_$(echo "$1" | tr - _)
  echo; echo "=== $name ==="
  t0=$(date +%s)
  if ( "$fn" ); then res=PASS; else res=FAIL; FAILED="$FAILED $name"; fi
  secs=$(( $(date +%s) - t0 ))
  echo "=== $name: $res (${secs}s) ==="
  SUMMARY="$SUMMARY$(printf '  %-14s %s  %4ss' "$name" "$res" "$secs")
"
}

for s in $STEPS; do
  case $s in r|r-check|scala|perl) ;; *) echo "run_all.sh: unknown step '$s' (r r-check scala perl)" >&2; exit 2 ;; esac
done
echo "mxcore bindings: core $MXCORE_PREFIX, python $PYTHON, scratch $WORK"
run_step vectors
run_step mlp-reference
if case " $FAILED " in *" mlp-reference "*) true ;; *) false ;; esac; then
  echo "(the binding suites need the MLP reference; not running them)"
  for s in $STEPS; do FAILED="$FAILED $s"; SUMMARY="$SUMMARY$(printf '  %-14s %s' "$s" "NOT RUN")
"; done
else
  for s in $STEPS; do run_step "$s"; done
  run_step mlp-verify
fi

echo; echo "==== binding test summary ===="
printf '%s' "$SUMMARY"
if [ -z "$FAILED" ]; then echo "all binding steps passed"; exit 0; fi
echo "FAILED:$FAILED"
exit 1

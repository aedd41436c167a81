# Shared cross-language vectors (tests/vectors/vectors.json); path from
# MXCORE_VECTORS or found relative to the source tree.
vectors_path <- function() {
  p <- Sys.getenv("MXCORE_VECTORS")
  if (nzchar(p)) return(p)
  cand <- file.path(c("../../../../tests/vectors", "../../../tests/vectors"), "vectors.json")
  cand <- cand[file.exists(cand)]
  if (length(cand)) cand[1] else ""
}
public_ops <- function() {
  m <- jsonlite::fromJSON(mx.registry.json(), simplifyVector = FALSE)
  sort(vapply(Filter(function(o) isTRUE(o$public), m$ops), function(o) o$name, ""))
}
# vector entry -> MXNDArray with core shape entry$shape (dims reversed in R)
from_entry <- function(e) {
  d <- unlist(e$data)
  s <- unlist(e$shape)
  x <- if (length(s)) array(d, dim = rev(s)) else d
  mx.nd.array(x, dtype = e$dtype)
}
# The seed-MLP reference (tests/vectors/make_mlp_reference.py): MXCORE_MLP_DIR,
# else tests/vectors/mlp in the source tree; "" when neither exists.
mlp_dir <- function() {
  p <- Sys.getenv("MXCORE_MLP_DIR")
  if (nzchar(p)) return(p)
  cand <- file.path(c("../../../../tests/vectors", "../../../tests/vectors"), "mlp")
  cand <- cand[file.exists(file.path(cand, "losses.json"))]
  if (length(cand)) cand[1] else ""
}
# MXNet 1.9.1 reference models (tests/data/mxnet_ref): MXCORE_MXNET_REF, else
# the source tree; "" when neither exists.
mxnet_ref_dir <- function() {
  p <- Sys.getenv("MXCORE_MXNET_REF")
  if (nzchar(p)) return(p)
  cand <- c("../../../../tests/data/mxnet_ref", "../../../tests/data/mxnet_ref")
  cand <- cand[file.exists(file.path(cand, "cnn_bn-symbol.json"))]
  if (length(cand)) cand[1] else ""
}

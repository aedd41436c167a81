# ndarray.R — the hand-written part of the R binding: the MXNDArray type,
# conversion, printing, operators, attribute formatting and the invoke helper
# that the generated per-op functions (R/ops_generated.R) call.
#
# MEMORY ORDER (the one place it is handled): R arrays are column-major, the
# core is row-major (C order). As MXNet's R package did, we copy the data
# unchanged and REVERSE THE DIMS: an R array with dim c(d1, ..., dk) becomes a
# core tensor of shape (dk, ..., d1) holding the same memory, and as.array()
# reverses back. dim() of an MXNDArray therefore reports R order, while
# mx.nd.shape() and every op attribute (axis, shape, ...) use core order.

.mx_dtypes <- c(float32 = 0L, float64 = 1L, float16 = 2L, uint8 = 3L, int32 = 4L,
                int8 = 5L, int64 = 6L, bool = 7L, bfloat16 = 12L)
.mx_devices <- c(`1` = "cpu", `2` = "gpu", `3` = "cpu_pinned", `10` = "opencl")

.onLoad <- function(libname, pkgname) {
  v <- .Call(R_mx_abi_version)
  if (v[1] != v[2])
    stop(sprintf("mxcore: libmxcore ABI version %d does not match the version %d this package was built for",
                 v[1], v[2]), call. = FALSE)
}

.mx_dtype_code <- function(dtype) {
  code <- .mx_dtypes[dtype]
  if (is.na(code)) stop(sprintf("mxcore: unknown dtype '%s'", dtype), call. = FALSE)
  unname(code)
}

#' Create an MXNDArray from an R vector, matrix or array.
#' @param x numeric, integer or logical vector/matrix/array, or an MXNDArray.
#' @param dtype dtype name; default float32 for numeric, int32 for integer,
#'   bool for logical.
#' @return an MXNDArray whose dim() equals dim(x) (core shape = rev(dim(x))).
mx.nd.array <- function(x, dtype = NULL) {
  if (inherits(x, "MXNDArray")) x <- as.array(x)
  if (is.null(dtype))
    dtype <- if (is.logical(x)) "bool" else if (is.integer(x)) "int32" else "float32"
  d <- dim(x)
  if (is.null(d)) d <- length(x)
  if (!is.numeric(x) && !is.logical(x)) stop("mxcore: mx.nd.array needs numeric, integer or logical data", call. = FALSE)
  .Call(R_mx_from_r, as.vector(x), as.integer(rev(d)), .mx_dtype_code(dtype))
}

mx.nd.shape <- function(x) .Call(R_mx_shape, x)
mx.nd.dtype <- function(x) names(.mx_dtypes)[match(.Call(R_mx_dtype, x), .mx_dtypes)]
mx.nd.device <- function(x) {
  d <- .Call(R_mx_device, x)
  sprintf("%s(%d)", .mx_devices[as.character(d[1])], d[2])
}
mx.nd.dispose <- function(x) invisible(.Call(R_mx_dispose, x))
mx.version <- function() .Call(R_mx_version)

dim.MXNDArray <- function(x) rev(.Call(R_mx_shape, x))

as.array.MXNDArray <- function(x, ...) {
  v <- .Call(R_mx_to_r, x)
  s <- .Call(R_mx_shape, x)
  if (length(s) > 0) dim(v) <- rev(s)
  v
}
as.vector.MXNDArray <- function(x, mode = "any") as.vector(as.array(x), mode)
as.numeric.MXNDArray <- function(x, ...) as.numeric(as.array(x))

print.MXNDArray <- function(x, ...) {
  cat(sprintf("<MXNDArray %s %s @%s>\n", paste(dim(x), collapse = "x"), mx.nd.dtype(x), mx.nd.device(x)))
  print(as.array(x), ...)
  invisible(x)
}

.mx_binary_ops <- c(`+` = "broadcast_add", `-` = "broadcast_sub", `*` = "broadcast_mul",
                    `/` = "broadcast_div", `^` = "broadcast_power", `%%` = "broadcast_mod",
                    `==` = "broadcast_equal", `!=` = "broadcast_not_equal", `<` = "broadcast_lesser",
                    `>` = "broadcast_greater", `<=` = "broadcast_lesser_equal", `>=` = "broadcast_greater_equal")

Ops.MXNDArray <- function(e1, e2) {
  if (missing(e2)) {
    if (.Generic == "-") return(mx.nd.array(0, dtype = mx.nd.dtype(e1)) - e1)
    if (.Generic == "+") return(e1)
    stop(sprintf("mxcore: unary '%s' is not supported", .Generic), call. = FALSE)
  }
  op <- .mx_binary_ops[.Generic]
  if (is.na(op)) stop(sprintf("mxcore: operator '%s' is not supported", .Generic), call. = FALSE)
  # an R scalar/array operand becomes an NDArray of the other operand's dtype
  like <- if (inherits(e1, "MXNDArray")) e1 else e2
  lift <- function(v) {
    if (inherits(v, "MXNDArray")) return(v)
    a <- mx.nd.array(v, dtype = mx.nd.dtype(like))
    if (length(v) == 1 && length(dim(like)) > 1) a <- .mx_reshape1(a, length(dim(like)))
    a
  }
  .mx_invoke(unname(op), list(lift(e1), lift(e2)), list())
}

.mx_reshape1 <- function(a, nd) {
  .Call(R_mx_from_r, as.array(a), rep(1L, nd), .Call(R_mx_dtype, a))
}

# Attribute value -> MXNet's string form, by manifest type. NULL = not passed.
.mx_fmt <- function(x, type) {
  if (is.null(x)) return(NULL)
  num <- function(v, int) if (int) sprintf("%.0f", v) else sub("^(-?)Inf$", "\\1inf", sprintf("%.17g", v))
  switch(type,
         int = , int_or_none = num(x, TRUE),
         float = num(x, FALSE),
         bool = if (isTRUE(as.logical(x))) "True" else "False",
         shape = paste0("(", paste(num(x, TRUE), collapse = ","), ")"),
         floats = paste0("(", paste(num(x, FALSE), collapse = ","), ")"),
         as.character(x))
}

# Run a registry op: inputs is a list of MXNDArray (NULL entries dropped),
# attrs a named list of formatted strings (NULL entries dropped). out: NULL,
# or an MXNDArray (or list of them) the op writes into, as MXNet's out=.
.mx_invoke <- function(name, inputs, attrs, out = NULL) {
  inputs <- Filter(Negate(is.null), inputs)
  for (i in seq_along(inputs))
    if (!inherits(inputs[[i]], "MXNDArray")) inputs[[i]] <- mx.nd.array(inputs[[i]])
  attrs <- Filter(Negate(is.null), attrs)
  if (inherits(out, "MXNDArray")) out <- list(out)
  res <- .Call(R_mx_invoke, name, inputs, as.character(names(attrs)), as.character(unlist(attrs)), out)
  if (length(res) == 1) res[[1]] else res
}

#' Autograd: record, mark variables, backward, gradients.
mx.autograd.record <- function(expr, train_mode = TRUE) {
  prev_t <- .Call(R_mx_set_training, train_mode)
  prev_r <- .Call(R_mx_set_recording, TRUE)
  on.exit({ .Call(R_mx_set_recording, prev_r); .Call(R_mx_set_training, prev_t) })
  expr
}
mx.autograd.set.recording <- function(on) .Call(R_mx_set_recording, on)
mx.autograd.mark.variables <- function(vars, grad.req = "write") {
  if (inherits(vars, "MXNDArray")) vars <- list(vars)
  req <- c(null = 0L, write = 1L, add = 3L)[rep_len(grad.req, length(vars))]
  invisible(.Call(R_mx_mark_variables, vars, unname(req)))
}
mx.autograd.backward <- function(heads, head.grads = NULL, retain.graph = FALSE) {
  if (inherits(heads, "MXNDArray")) heads <- list(heads)
  if (inherits(head.grads, "MXNDArray")) head.grads <- list(head.grads)
  invisible(.Call(R_mx_backward, heads, head.grads, retain.graph))
}
mx.nd.grad <- function(x) .Call(R_mx_grad, x)

mx.random.seed <- function(seed) invisible(.Call(R_mx_random_seed, seed))

#' Save a (named) list of MXNDArray to an MXNet .params file / load it back.
mx.nd.save <- function(x, filename) {
  if (inherits(x, "MXNDArray")) x <- list(x)
  invisible(.Call(R_mx_save, path.expand(filename), unname(x), names(x)))
}
mx.nd.load <- function(filename) .Call(R_mx_load, path.expand(filename))

#' Names of the public ops of the loaded library, from its registry manifest.
mx.registry.json <- function() .Call(R_mx_registry_json)

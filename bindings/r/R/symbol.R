# symbol.R — MXNet model files in R: a symbol JSON (prefix-symbol.json)
# becomes a core graph, run on MXNDArrays by the same C executor that
# Python's mx.sym, hybridize() and SymbolBlock.imports use; the parameters
# come from the matching .params file ("arg:"/"aux:" keys).

#' Load an MXNet symbol JSON file (any MXNet 1.x version) as an MXSymbol.
mx.symbol.load <- function(filename) {
  mx.symbol.load.json(paste(readLines(path.expand(filename), warn = FALSE), collapse = "\n"))
}

mx.symbol.load.json <- function(json) .Call(R_mx_graph_from_json, as.character(json))

mx.symbol.arguments <- function(symbol) .Call(R_mx_graph_list, symbol, 0L)
mx.symbol.auxiliary.states <- function(symbol) .Call(R_mx_graph_list, symbol, 1L)
mx.symbol.outputs <- function(symbol) .Call(R_mx_graph_list, symbol, 2L)
mx.symbol.tojson <- function(symbol) .Call(R_mx_graph_json, symbol)

print.MXSymbol <- function(x, ...) {
  cat(sprintf("<MXSymbol outputs: %s>\n", paste(mx.symbol.outputs(x), collapse = ", ")))
  invisible(x)
}

# The values of `wanted` (graph input names, in the graph's order) from the
# named list `given`; a missing one is an error naming it and the graph's inputs.
.mx_by_name <- function(wanted, given, what) {
  missing <- setdiff(wanted, names(given))
  if (length(missing))
    stop(sprintf("mxcore: mx.symbol.run: no value for %s %s (the graph's %ss: %s)", what,
                 paste(sQuote(missing, FALSE), collapse = ", "), what, paste(wanted, collapse = ", ")),
         call. = FALSE)
  unname(given[wanted])
}

#' Run a symbol once. args / aux: named lists of MXNDArray covering every
#' argument and auxiliary state (extra names are ignored). Returns the
#' outputs as a named list of MXNDArray.
mx.symbol.run <- function(symbol, args, aux = list(), is.train = FALSE) {
  a <- .mx_by_name(mx.symbol.arguments(symbol), args, "argument")
  x <- .mx_by_name(mx.symbol.auxiliary.states(symbol), aux, "auxiliary state")
  out <- .Call(R_mx_graph_run, symbol, a, x, isTRUE(is.train))
  names(out) <- mx.symbol.outputs(symbol)
  out
}

.mx_strip_prefix <- function(p, prefix) {
  keep <- startsWith(names(p), prefix)
  out <- p[keep]
  names(out) <- substring(names(out), nchar(prefix) + 1L)
  out
}

#' Load a model saved by MXNet (HybridBlock.export, Module.save_checkpoint,
#' mx.model.save_checkpoint): prefix-symbol.json and prefix-%04d.params.
mx.model.load <- function(prefix, iteration) {
  prefix <- path.expand(prefix)
  symbol <- mx.symbol.load(sprintf("%s-symbol.json", prefix))
  p <- mx.nd.load(sprintf("%s-%04d.params", prefix, as.integer(iteration)))
  structure(list(symbol = symbol, arg.params = .mx_strip_prefix(p, "arg:"),
                 aux.params = .mx_strip_prefix(p, "aux:")), class = "MXFeedForwardModel")
}

#' Inference with a loaded model: X (an MXNDArray, or an R array converted
#' with mx.nd.array) is bound to the input `input.name`. Returns the output
#' MXNDArray (a named list when the model has several outputs).
predict.MXFeedForwardModel <- function(object, X, input.name = "data", ...) {
  if (!inherits(X, "MXNDArray")) X <- mx.nd.array(X)
  args <- object$arg.params
  args[[input.name]] <- X
  out <- mx.symbol.run(object$symbol, args, object$aux.params)
  if (length(out) == 1L) out[[1L]] else out
}

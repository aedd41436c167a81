test_that("the binding exposes exactly the manifest's public ops", {
  skip_if_not_installed("jsonlite")
  ns <- getNamespaceExports("mxcore")
  generated <- sort(sub("^mx\\.nd\\.", "", grep("^mx\\.nd\\.", ns, value = TRUE)))
  hand <- c("array", "shape", "dtype", "device", "dispose", "grad", "save", "load")
  expect_equal(setdiff(generated, hand), public_ops())
  expect_equal(sort(mxcore:::.mx_generated_ops), public_ops())
})

test_that("generated ops match the shared numpy vectors", {
  skip_if_not_installed("jsonlite")
  p <- vectors_path()
  skip_if(!nzchar(p), "tests/vectors/vectors.json not found (set MXCORE_VECTORS)")
  v <- jsonlite::fromJSON(p, simplifyVector = FALSE)
  ops <- public_ops()
  ran <- 0
  for (cs in v$cases) {
    if (!(cs$op %in% ops)) next
    f <- get(paste0("mx.nd.", cs$op), envir = asNamespace("mxcore"))
    ins <- lapply(cs$inputs, from_entry)
    out <- do.call(f, c(unname(ins), lapply(cs$attrs, function(s) eval(parse(text = s)))))
    if (inherits(out, "MXNDArray")) out <- list(out)
    for (k in seq_along(cs$outputs)) {
      e <- cs$outputs[[k]]
      expect_equal(mx.nd.shape(out[[k]]), as.integer(unlist(e$shape)), label = cs$op)
      expect_equal(mx.nd.dtype(out[[k]]), e$dtype, label = cs$op)
      got <- as.numeric(as.array(out[[k]]))
      want <- as.numeric(unlist(e$data))
      expect_true(all(abs(got - want) <= cs$atol + cs$rtol * abs(want)), label = paste(cs$op, "values"))
    }
    ran <- ran + 1
  }
  expect_gt(ran, 3)
})

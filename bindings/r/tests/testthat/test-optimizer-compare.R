# Optimizer update ops against hand-computed MXNet 1.x updates, and the six
# comparison operators (generated functions and R's operators).

test_that("sgd_mom_update: mom = 0.9 mom - lr (rescale g + wd w); w += mom; mom updated in place", {
  skip_if_not("sgd_mom_update" %in% public_ops(), "sgd_mom_update not in this core")
  w <- mx.nd.array(c(1, 2, -3, 0.5), dtype = "float64")
  g <- mx.nd.array(c(0.5, -1, 2, 0), dtype = "float64")
  mom <- mx.nd.array(c(0.1, 0, -0.2, 0.3), dtype = "float64")
  # g' = 0.5 g + 0.01 w = (0.26, -0.48, 0.97, 0.005)
  r <- mx.nd.sgd_mom_update(w, g, mom, lr = 0.1, momentum = 0.9, wd = 0.01, rescale_grad = 0.5, out = w)
  expect_identical(r, w)
  expect_equal(as.array(mom), array(c(0.064, 0.048, -0.277, 0.2695)), tolerance = 1e-12)
  expect_equal(as.array(w), array(c(1.064, 2.048, -3.277, 0.7695)), tolerance = 1e-12)
})

test_that("sgd_update with clipping writes out= and leaves its inputs alone otherwise", {
  skip_if_not("sgd_update" %in% public_ops(), "sgd_update not in this core")
  w <- mx.nd.array(c(1, -1, 2), dtype = "float64")
  g <- mx.nd.array(c(4, -0.5, -9), dtype = "float64")
  # clip(2 g, 3) + 0.1 w = (3.1, -1.1, -2.8); w - 0.5 * that
  new <- mx.nd.sgd_update(w, g, lr = 0.5, wd = 0.1, rescale_grad = 2, clip_gradient = 3)
  expect_equal(as.array(new), array(c(-0.55, -0.45, 3.4)), tolerance = 1e-12)
  expect_equal(as.array(w), array(c(1, -1, 2)))
  mx.nd.sgd_update(w, g, lr = 0.5, wd = 0.1, rescale_grad = 2, clip_gradient = 3, out = w)
  expect_equal(as.array(w), array(c(-0.55, -0.45, 3.4)), tolerance = 1e-12)
})

test_that("adam_update: clip(rescale g + wd w), moments in place, w -= lr m / (sqrt(v) + eps)", {
  skip_if_not("adam_update" %in% public_ops(), "adam_update not in this core")
  w <- mx.nd.array(c(1, 2, -3, 0.5), dtype = "float64")
  g <- mx.nd.array(c(0.5, -1, 2, 0), dtype = "float64")
  m <- mx.nd.array(c(0.1, 0.2, 0, -0.1), dtype = "float64")
  v <- mx.nd.array(c(0.01, 0.04, 0, 0.02), dtype = "float64")
  mx.nd.adam_update(w, g, m, v, lr = 0.01, beta1 = 0.9, beta2 = 0.99, epsilon = 1e-8, wd = 0.1,
                    rescale_grad = 2, clip_gradient = 1.5, out = w)
  # g' = clip((1.1, -1.8, 3.7, 0.05), 1.5) = (1.1, -1.5, 1.5, 0.05)
  m1 <- c(0.2, 0.03, 0.15, -0.085)
  v1 <- c(0.022, 0.0621, 0.0225, 0.019825)
  expect_equal(as.array(m), array(m1), tolerance = 1e-12)
  expect_equal(as.array(v), array(v1), tolerance = 1e-12)
  expect_equal(as.array(w), array(c(1, 2, -3, 0.5) - 0.01 * m1 / (sqrt(v1) + 1e-8)), tolerance = 1e-12)
})

test_that("all six comparison operators: broadcasting, ties, 0/1 in the input dtype", {
  # R matrices: core shape (2,3) is an R array with dim c(3, 2)
  a <- mx.nd.array(matrix(c(1, 2, 3, 4, 5, 6), 3, 2))
  b <- mx.nd.array(matrix(c(2, 2, 7), 3, 1))  # core shape (1,3): broadcast over rows
  av <- matrix(c(1, 2, 3, 4, 5, 6), 3, 2)
  bv <- matrix(c(2, 2, 7), 3, 2)
  cases <- list(
    list("broadcast_equal", `==`), list("broadcast_not_equal", `!=`),
    list("broadcast_greater", `>`), list("broadcast_greater_equal", `>=`),
    list("broadcast_lesser", `<`), list("broadcast_lesser_equal", `<=`))
  for (cs in cases) {
    want <- array(as.numeric(cs[[2]](av, bv)), c(3, 2))
    f <- get(paste0("mx.nd.", cs[[1]]), envir = asNamespace("mxcore"))
    r <- f(a, b)
    expect_equal(mx.nd.dtype(r), "float32", label = cs[[1]])
    expect_equal(as.array(r), want, label = cs[[1]])
    expect_equal(as.array(cs[[2]](a, b)), want, label = paste(cs[[1]], "operator"))
    expect_equal(as.array(cs[[2]](a, 2)), array(as.numeric(cs[[2]](av, 2)), c(3, 2)),
                 label = paste(cs[[1]], "scalar"))
  }
  i <- mx.nd.array(matrix(c(1L, 5L, -3L), 3, 1))
  expect_equal(mx.nd.dtype(i >= i), "int32")
  expect_equal(as.array(i > mx.nd.array(matrix(c(0L, 5L, -4L), 3, 1))), array(c(1L, 0L, 1L), c(3, 1)))
})

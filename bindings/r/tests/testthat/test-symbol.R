# MXNet 1.9.1 model files (tests/data/mxnet_ref: exported by MXNet with its
# input x and its output y) load and predict MXNet's output, through the
# core's graph executor; bad input is an R error naming what is wrong.

test_that("models exported by MXNet 1.9.1 predict MXNet's outputs", {
  dir <- mxnet_ref_dir()
  skip_if(!nzchar(dir), "tests/data/mxnet_ref not found (set MXCORE_MXNET_REF)")
  for (m in c("mlp", "cnn_bn")) {
    model <- mx.model.load(file.path(dir, m), 0)
    io <- mx.nd.load(file.path(dir, sprintf("%s-io.params", m)))
    y <- predict(model, io$x)
    expect_equal(dim(y), dim(io$y))
    expect_equal(as.array(y), as.array(io$y), tolerance = 1e-4)
  }
  model <- mx.model.load(file.path(dir, "cnn_bn"), 0)
  expect_equal(mx.symbol.auxiliary.states(model$symbol),
               c("batchnorm0_running_mean", "batchnorm0_running_var",
                 "batchnorm1_running_mean", "batchnorm1_running_var"))
  expect_equal(mx.symbol.arguments(model$symbol)[1], "data")
})

test_that("mx.symbol.run computes a small graph; bad input is a clear error", {
  s <- mx.symbol.load.json(paste0(
    '{"nodes":[{"op":"null","name":"x","inputs":[]},',
    '{"op":"null","name":"w","inputs":[]},',
    '{"op":"elemwise_mul","name":"m","inputs":[[0,0,0],[1,0,0]]},',
    '{"op":"relu","name":"r","inputs":[[2,0,0]]}],"arg_nodes":[0,1],"heads":[[3,0,0]]}'))
  expect_equal(mx.symbol.arguments(s), c("x", "w"))
  expect_equal(mx.symbol.outputs(s), "r_output")
  out <- mx.symbol.run(s, list(w = mx.nd.array(c(2, 2, -1)), x = mx.nd.array(c(-1, 3, -4))))
  expect_equal(as.vector(out$r_output), c(0, 6, 4))
  expect_match(mx.symbol.tojson(s), "elemwise_mul")
  expect_error(mx.symbol.run(s, list(x = mx.nd.array(1))), "no value for argument .w.")
  expect_error(mx.symbol.run(s, list(x = mx.nd.array(c(1, 2)), w = mx.nd.array(c(1, 2, 3)))),
               "node 'm'.*elemwise_mul.*\\(2,\\) and \\(3,\\)")
  expect_error(mx.symbol.load.json('{"nodes":[{"op":"NoSuchOp","name":"bad1","inputs":[]}],"heads":[[0,0,0]]}'),
               "bad1")
})

# The seed-MLP parity test: the same 20 SGD steps as Python
# (tests/vectors/make_mlp_reference.py), from the same .params files, with
# this binding's load/save, generated ops and autograd. Losses must equal
# Python's to 1e-5; the trained weights are saved for Python to check
# (to $MXCORE_MLP_OUT/trained-r.params when set).

test_that("seed MLP: 20 steps reproduce Python's losses", {
  dir <- mlp_dir()
  skip_if(!nzchar(dir), "MLP reference not found (run tests/vectors/make_mlp_reference.py or set MXCORE_MLP_DIR)")
  skip_if_not_installed("jsonlite")
  ref <- jsonlite::fromJSON(file.path(dir, "losses.json"))
  data <- mx.nd.load(file.path(dir, "data.params"))
  p <- mx.nd.load(file.path(dir, "init.params"))
  expect_equal(mx.nd.shape(data$X), c(64L, 784L))
  expect_equal(mx.nd.shape(p$fc1_weight), c(100L, 784L))
  names <- c("fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias")
  mx.autograd.mark.variables(unname(p[names]))
  n <- ref$batch
  losses <- numeric(ref$steps)
  for (step in seq_len(ref$steps)) {
    loss <- mx.autograd.record({
      h <- mx.nd.FullyConnected(data$X, p$fc1_weight, p$fc1_bias, num_hidden = 100)
      a <- mx.nd.Activation(h, act_type = "relu")
      o <- mx.nd.FullyConnected(a, p$fc2_weight, p$fc2_bias, num_hidden = 10)
      mx.nd.softmax_cross_entropy(o, data$y)
    })
    mx.autograd.backward(loss)
    losses[step] <- as.numeric(as.array(loss)) / n
    for (k in names)
      mx.nd.sgd_update(p[[k]], mx.nd.grad(p[[k]]), lr = ref$lr, rescale_grad = 1 / n, out = p[[k]])
  }
  expect_lt(max(abs(losses - ref$losses)), 1e-5)
  outdir <- Sys.getenv("MXCORE_MLP_OUT")
  f <- if (nzchar(outdir)) file.path(outdir, "trained-r.params") else tempfile(fileext = ".params")
  mx.nd.save(p[names], f)
  back <- mx.nd.load(f)
  expect_equal(sort(names(back)), sort(names))
  expect_equal(as.array(back$fc2_weight), as.array(p$fc2_weight))
})

library(testthat)
library(mxcore)
test_check("mxcore")

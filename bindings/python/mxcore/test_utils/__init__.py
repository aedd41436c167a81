"""mx.test_utils: MXNet 1.x's helpers for testing ops, layers and models, for dense arrays.

Each submodule has one job; this package re-exports their public names so that
``from mxnet.test_utils import assert_almost_equal`` keeps working under mxcore.

- tolerances: default device/dtype, per-dtype rtol/atol/eps tables
- compare: assert_almost_equal and friends, with MXNet's failure messages
- random_data: random arrays, shapes and matrices with known spectra
- symbolic: check_symbolic_forward/backward, check_numeric_gradient, check_consistency
- model_checks: hybridized-vs-imperative blocks, optimizer against optimizer
- distributions: mean/variance/chi-square checks of random generators
- datasets: download, MNIST/CIFAR-10 fetchers, DummyIter
- environment: env-var scoping, stderr silencing, retries, build/machine queries
"""
from __future__ import annotations

# MXNet's test_utils had no __all__, so `from mxnet.test_utils import *` also handed
# tests numpy as np, numpy.random as rnd and the package as mx; many rely on that.
import numpy as np
import numpy.random as rnd
import numpy.testing as npt

import mxcore as mx

from ..context import Context, current_context
from ..ndarray import array
from .compare import (almost_equal, assert_allclose, assert_almost_equal, assert_almost_equal_ignore_nan,
                      assert_almost_equal_with_err, assert_exception, checkShapes, collapse_sum_like,
                      compare_ndarray_tuple, locationError, np_reduce, same, same_array)
from .datasets import (DummyIter, download, get_bz2_data, get_cifar10, get_im2rec_path, get_mnist,
                       get_mnist_iterator, get_mnist_ubyte, get_zip_data)
from .distributions import chi_square_check, gen_buckets_probs_with_ppf, mean_check, var_check, verify_generator
from .environment import (discard_stderr, environment, has_tvm_ops, is_aarch64_run, is_cd_run, is_op_runnable,
                          list_gpus, retry, set_env_var)
from .model_checks import check_gluon_hybridize_consistency, compare_optimizer
from .random_data import (assign_each, assign_each2, create_2d_tensor, create_sparse_array, create_vector,
                          get_identity_mat, get_identity_mat_batch, new_matrix_with_real_eigvals_2d,
                          new_matrix_with_real_eigvals_nd, new_orthonormal_matrix_2d,
                          new_sym_matrix_with_real_eigvals_2d, new_sym_matrix_with_real_eigvals_nd, rand_coord_2d,
                          rand_ndarray, rand_shape_2d, rand_shape_3d, rand_shape_nd, rand_sparse_ndarray,
                          random_arrays, random_sample, random_uniform_arrays)
from .symbolic import (check_consistency, check_numeric_gradient, check_speed, check_symbolic_backward,
                       check_symbolic_forward, numeric_grad, same_symbol_structure, simple_forward)
from .tolerances import (default_atols, default_context, default_dtype, default_numeric_eps, default_rtols,
                         effective_dtype, get_atol, get_etol, get_rtol, get_tolerance, get_tols, set_default_context)

__all__ = ["mx", "np", "npt", "rnd", "array", "Context", "current_context",
           "almost_equal", "assert_allclose", "assert_almost_equal", "assert_almost_equal_ignore_nan",
           "assert_almost_equal_with_err", "assert_exception", "assign_each", "assign_each2",
           "check_consistency", "check_gluon_hybridize_consistency", "check_numeric_gradient",
           "check_speed", "check_symbolic_backward", "check_symbolic_forward", "checkShapes",
           "chi_square_check", "collapse_sum_like", "compare_ndarray_tuple", "compare_optimizer",
           "create_2d_tensor", "create_sparse_array", "create_vector", "default_atols", "default_context",
           "default_dtype", "default_numeric_eps", "default_rtols", "discard_stderr", "download",
           "DummyIter", "effective_dtype", "environment", "gen_buckets_probs_with_ppf", "get_atol",
           "get_bz2_data", "get_cifar10", "get_etol", "get_identity_mat", "get_identity_mat_batch",
           "get_im2rec_path", "get_mnist", "get_mnist_iterator", "get_mnist_ubyte", "get_rtol",
           "get_tolerance", "get_tols", "get_zip_data", "has_tvm_ops", "is_aarch64_run", "is_cd_run",
           "is_op_runnable", "list_gpus", "locationError", "mean_check", "new_matrix_with_real_eigvals_2d",
           "new_matrix_with_real_eigvals_nd", "new_orthonormal_matrix_2d",
           "new_sym_matrix_with_real_eigvals_2d", "new_sym_matrix_with_real_eigvals_nd", "np_reduce",
           "numeric_grad", "rand_coord_2d", "rand_ndarray", "rand_shape_2d", "rand_shape_3d",
           "rand_shape_nd", "rand_sparse_ndarray", "random_arrays", "random_sample",
           "random_uniform_arrays", "retry", "same", "same_array", "same_symbol_structure",
           "set_default_context", "set_env_var", "simple_forward", "var_check", "verify_generator"]

"""Random dense arrays with a given density and empty rows, the inputs of the sparse tests."""


def rand_dense(rs, shape, density, dtype, empty_rows=()):
    d = rs.uniform(-1, 1, size=shape).astype(dtype)
    d[rs.rand(*shape) > density] = 0
    for r in empty_rows:
        d[r] = 0
    return d

"""mxcore.h -> cffi cdef text. Standard library only, so that the build helper
(tools/build_cffi_ext.py) and the ABI-mode loader in base.py read the header
the same way and the two cffi modes can never declare different functions.

DLPACK_CDEF holds the binding's own C types (the DLPack structs that
ndarray/dlpack.py reads); they are declared here rather than with a later
ffi.cdef because the API-mode ffi is compiled and has no cdef(). The text is
valid C, so the build helper puts it in the extension's source as well."""
from __future__ import annotations

import re


def cdef_from_header(path: str) -> str:
    """The declarations of the public header, without comments, preprocessor
    lines, the C++ guard and the MX_API visibility macro."""
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.DOTALL)
    text = re.sub(r"//[^\n]*", "", text)
    keep = [ln for ln in text.splitlines()
            if not ln.strip().startswith("#") and ln.strip() not in ('extern "C" {', "}")]
    return "\n".join(keep).replace("MX_API ", "")


# DLPack 1.x structs (dlpack.h), under binding-private names: DLTensor,
# DLManagedTensor (legacy) and DLManagedTensorVersioned.
DLPACK_CDEF = """
typedef struct { uint32_t major, minor; } mxdl_version;
typedef struct { int32_t device_type; int32_t device_id; } mxdl_device;
typedef struct { uint8_t code; uint8_t bits; uint16_t lanes; } mxdl_dtype;
typedef struct { void *data; mxdl_device device; int32_t ndim; mxdl_dtype dtype;
                 int64_t *shape; int64_t *strides; uint64_t byte_offset; } mxdl_tensor;
typedef struct mxdl_managed { mxdl_tensor dl_tensor; void *manager_ctx;
                              void (*deleter)(struct mxdl_managed *); } mxdl_managed;
typedef struct mxdl_managed_v { mxdl_version version; void *manager_ctx;
                                void (*deleter)(struct mxdl_managed_v *); uint64_t flags;
                                mxdl_tensor dl_tensor; } mxdl_managed_v;
"""


def binding_cdef(header_path: str) -> str:
    """Everything the package declares to cffi: the header plus DLPACK_CDEF."""
    return cdef_from_header(header_path) + "\n" + DLPACK_CDEF

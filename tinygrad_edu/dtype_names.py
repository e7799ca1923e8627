"""PyTorch's dtype names (`tg.float32`, `tg.float`, `tg.long`, ...) as the NumPy dtypes they mean.

Layer L0 (NumPy only). A tensor's dtype is a NumPy dtype, so these names are plain `np.dtype`
values: `tg.float32 == np.float32`, and they are accepted wherever a dtype is (factories,
`Tensor.to`, `Tensor.type`, `nn.Linear(dtype=...)`). The aliases follow PyTorch: `float` is
float32 (not Python's float64), `double` float64, `half` float16, `long` int64, `int` int32.
The module is separate from _dtypes.py because these names shadow Python's `float`, `int` and
`bool`, which must not happen in a module that also uses the built-ins. See docs/pytorch.md.
"""
import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)  # noqa: A001 (PyTorch's name, shadowing the built-in on purpose)

half = float16
float = float32  # noqa: A001
double = float64
short = int16
int = int32  # noqa: A001
long = int64

__all__ = ["bool", "double", "float", "float16", "float32", "float64", "half", "int", "int8", "int16", "int32",
           "int64", "long", "short", "uint8"]

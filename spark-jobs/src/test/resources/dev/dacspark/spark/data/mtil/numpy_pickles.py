"""Writes numpy-*.pkl, read by PythonPickleTest: numpy arrays as Python 3's own pickle module writes them, protocols 2
to 5. There is no numpy here: a stand-in at numpy's names reduces arrays and dtypes as numpy does (ndarray.__reduce__:
_reconstruct(ndarray, (0,), b'b') with the state (1, shape, dtype, is_fortran, rawdata); protocol 5's
ndarray.__reduce_ex__: _frombuffer(PickleBuffer(array), dtype, shape, order); dtype.__reduce__: dtype(code, False,
True) with the state (3, endian, None, None, None, -1, -1, 0)). Run: python3 numpy_pickles.py (in this folder)."""
import pickle
import sys
import types


def install(core):
    """numpy, numpy.<core>.multiarray and numpy.<core>.numeric as modules holding the stand-ins"""
    class dtype:
        def __init__(self, code, endian):
            self.code, self.endian = code, endian

        def __reduce__(self):
            return dtype, (self.code, False, True), (3, self.endian, None, None, None, -1, -1, 0)

    class ndarray:
        def __init__(self, dt, shape, raw, fortran=False):
            self.dtype, self.shape, self.raw, self.fortran = dt, shape, raw, fortran

        def __reduce_ex__(self, protocol):
            if protocol >= 5:
                return _frombuffer, (pickle.PickleBuffer(bytearray(self.raw)), self.dtype, self.shape, 'F' if self.fortran else 'C')
            return _reconstruct, (ndarray, (0,), b'b'), (1, self.shape, self.dtype, self.fortran, self.raw)

    def _reconstruct(cls, shape, typecode):
        raise NotImplementedError

    def _frombuffer(buf, dt, shape, order):
        raise NotImplementedError

    modules = {name: types.ModuleType(name) for name in ('numpy', core + '.multiarray', core + '.numeric')}
    for obj, module in ((dtype, 'numpy'), (ndarray, 'numpy'), (_reconstruct, core + '.multiarray'), (_frombuffer, core + '.numeric')):
        obj.__module__, obj.__qualname__ = module, obj.__name__
        setattr(modules[module], obj.__name__, obj)
    sys.modules.update(modules)
    return dtype, ndarray


for protocol, core in ((2, 'numpy.core'), (3, 'numpy.core'), (4, 'numpy.core'), (5, 'numpy._core')):
    dtype, ndarray = install(core)
    u1 = dtype('u1', '|')  # shared by two arrays: memoized once, then fetched from the memo
    value = {
        'data': ndarray(u1, (2, 3), bytes([0, 1, 127, 128, 255, 7])),
        'mask': ndarray(u1, (3,), bytes([255, 0, 1])),
        'ids': ndarray(dtype('i8', '<'), (2,), (1).to_bytes(8, 'little') + (-2).to_bytes(8, 'little', signed=True)),
        'columns': ndarray(dtype('f4', '>'), (2, 1), bytes([0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]), fortran=True),
        'labels': [1, 2],
    }
    with open('numpy-p%d.pkl' % protocol, 'wb') as f:
        pickle.dump(value, f, protocol=protocol)

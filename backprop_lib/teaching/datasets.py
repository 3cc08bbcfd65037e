r"""Real handwritten digits for training the book's digits network.

Two loaders return the same :class:`DigitData`:

- :func:`load_digits`: scikit-learn's 8×8 digits (1797 images, 64 inputs). The images ship
  inside scikit-learn, so this works offline. It is the book's default.
- :func:`load_mnist`: the original 28×28 MNIST files (70 000 images, 784 inputs, as in
  the network of the feedforward chapter). They are read from a local cache and downloaded only when you ask for it
  (``download=True``). Every file is checked against its published SHA-256 checksum.

Rows are samples. ``X`` has shape ``(B, n_0)``: each image flattened row by row, pixels
scaled to :math:`[0, 1]`. ``T`` holds the one-hot targets :math:`t`, shape ``(B, 10)``.
``y`` holds the integer labels, shape ``(B,)``.

Nothing here touches the network or sklearn at import time.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._validate import float_dtype

N_CLASSES = 10

MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

# SHA-256 of the official gzipped files, as published by TensorFlow Datasets
# (github.com/tensorflow/datasets, tensorflow_datasets/url_checksums/mnist.txt; sizes
# 9912422, 28881, 1648877 and 4542 bytes). torchvision lists the same four files with MD5
# checksums (github.com/pytorch/vision, torchvision/datasets/mnist.py).
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# Public copies of the files of LeCun, Cortes and Burges (yann.lecun.com/exdb/mnist),
# tried in order: the one TensorFlow Datasets uses, then the one torchvision uses.
MNIST_MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)

# IDX type codes (third byte of the magic number); all values are big-endian.
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


@dataclass(frozen=True, repr=False)
class DigitData:
    r"""A train/test split of labelled digit images.

    ``X_train`` ``(B_train, n_0)`` and ``X_test`` ``(B_test, n_0)``: pixels in
    :math:`[0, 1]`, one flattened image per row (``X[n].reshape(image_shape)`` is the
    picture). ``T_train`` ``(B_train, 10)`` and ``T_test`` ``(B_test, 10)``: one-hot
    targets, :math:`t_{n,k} = 1` if sample :math:`n` shows digit :math:`k`, else 0.
    ``y_train`` ``(B_train,)`` and ``y_test`` ``(B_test,)``: the digits as integers.
    """

    X_train: np.ndarray
    T_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    T_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    name: str

    @property
    def n_inputs(self) -> int:
        r"""The number of inputs :math:`n_0` (pixels per image)."""
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        r"""The number of classes :math:`n_L` (10 digits)."""
        return self.T_train.shape[1]

    def __repr__(self) -> str:
        height, width = self.image_shape
        return (
            f"DigitData({self.name!r}: {len(self.X_train)} train and {len(self.X_test)} test "
            f"images of {height}x{width} pixels, {self.n_inputs} inputs, "
            f"{self.n_classes} classes)"
        )


def one_hot(labels: ArrayLike, n_classes: int) -> np.ndarray:
    r"""One-hot targets: :math:`t_{n,k} = 1` if ``labels[n] == k``, else 0.

    ``labels``: integers in ``0 .. n_classes - 1``, shape ``(B,)``.
    Returns float64, shape ``(B, n_classes)``; every row sums to 1.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise TypeError(f"n_classes must be an int, got {type(n_classes).__name__}")
    if n_classes < 1:
        raise ValueError(f"n_classes must be at least 1, got {n_classes}")
    labels = np.asarray(labels)
    if labels.dtype == np.bool_ or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integers, got dtype {labels.dtype}")
    if labels.ndim != 1:
        raise ValueError(f"labels must have shape (B,), got shape {labels.shape}")
    bad = labels[(labels < 0) | (labels >= n_classes)]
    if bad.size:
        raise ValueError(
            f"labels must lie in 0..{n_classes - 1} (n_classes={n_classes}), "
            f"got {bad[:5].tolist()}{' ...' if bad.size > 5 else ''}"
        )
    T = np.zeros((labels.size, n_classes))
    T[np.arange(labels.size), labels] = 1.0
    return T


def load_digits(
    test_size: float = 0.25,
    rng: int | np.random.Generator = 0,
    *,
    dtype: DTypeLike = np.float64,
) -> DigitData:
    r"""scikit-learn's 8×8 handwritten digits, split into train and test sets.

    1797 images of 8×8 pixels with values 0..16 (sklearn.datasets.load_digits, bundled in
    scikit-learn, no download). Pixels are divided by 16, so ``X`` lies in :math:`[0, 1]`.

    The split is stratified: from each digit's images, ``round(test_size * count)`` are
    drawn at random for the test set with ``rng`` (a seed or a
    ``numpy.random.Generator``); the rest form the training set. The same seed gives the
    same split. Both sets keep the original order of the images.

    Returns a :class:`DigitData`: ``X`` ``(B, 64)``, ``T`` ``(B, 10)``, ``y`` ``(B,)``,
    ``image_shape == (8, 8)``.
    """
    if isinstance(test_size, bool) or not isinstance(test_size, (float, int)):
        raise TypeError(f"test_size must be a float in (0, 1), got {type(test_size).__name__}")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must lie strictly between 0 and 1, got {test_size}")
    generator = _generator(rng)
    dtype = _float_dtype(dtype)
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as exc:  # tests/core/test_package.py blocks scikit-learn to reach this
        raise ImportError(
            "load_digits needs scikit-learn (it ships the digits): "
            "pip install 'backprop_lib[teaching]'"
        ) from exc
    bunch = sklearn_load_digits()
    images, labels = bunch.images, bunch.target.astype(np.int64)

    groups = []
    for digit in range(N_CLASSES):  # every digit checked before the first draw
        members = np.flatnonzero(labels == digit)
        n_test = round(test_size * members.size)
        if not 0 < n_test < members.size:
            raise ValueError(
                f"test_size={test_size} puts {n_test} of the {members.size} images of digit "
                f"{digit} in the test set; both sets need at least one of each digit"
            )
        groups.append((members, n_test))
    test_parts = [generator.choice(m, size=n, replace=False) for m, n in groups]
    test = np.sort(np.concatenate(test_parts))
    train = np.setdiff1d(np.arange(labels.size), test)
    return _digit_data(
        "scikit-learn digits",
        images[train],
        labels[train],
        images[test],
        labels[test],
        max_value=16.0,
        dtype=dtype,
    )


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    r"""Read an IDX file (gzipped or raw) into a numpy array; see :func:`parse_idx`."""
    path = Path(path)
    return parse_idx(_read_bytes(path), name=str(path))


def _read_bytes(path: Path) -> bytes:
    r"""``path.read_bytes()``; a directory, a missing or an unreadable file raises the
    same ``OSError`` subclass with a message naming the path and what to do."""
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise IsADirectoryError(
            f"{path} is a directory, not an IDX file; remove or rename it, then put the file "
            f"there (or call load_mnist(download=True))."
        ) from None
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist; check the path.") from None
    except PermissionError:
        raise PermissionError(
            f"{path} cannot be read (permission denied); make it readable (chmod u+r) or "
            f"use another cache_dir."
        ) from None


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    r"""Parse the bytes of an IDX file, the format of the MNIST files.

    Layout (all integers big-endian): a 4-byte magic number ``00 00 TT DD`` (``TT`` the
    value type: 08 uint8, 09 int8, 0B int16, 0C int32, 0D float32, 0E float64; ``DD`` the
    number of dimensions), then ``DD`` uint32 sizes, then the values in C order. Gzipped
    bytes are recognised by their own magic number ``1f 8b`` and decompressed first.

    Returns an array of shape ``(size_1, ..., size_DD)`` in native byte order. A malformed
    file raises ``ValueError`` naming ``name`` and what is wrong; trailing bytes count as
    malformed.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"parse_idx: data must be the bytes of an IDX file (bytes, bytearray or "
            f"memoryview; read_idx(path) reads a file); got {type(data).__name__} "
            f"{data!r:.40}."
        )
    data = bytes(data)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{name}: corrupt or truncated gzip data ({exc})") from None
    if len(data) < 4:
        raise ValueError(f"{name}: {len(data)} bytes, too short for the 4-byte IDX magic number")
    code, ndim = data[2], data[3]
    if data[:2] != b"\x00\x00" or code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{name}: bad IDX magic number 0x{data[:4].hex()}; expected 0x0000TTDD with "
            f"type TT in 08, 09, 0b, 0c, 0d, 0e and DD >= 1 dimensions"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"{name}: truncated header: {ndim} dimensions need {header} header bytes, "
            f"the file has {len(data)}"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = _IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(data) - header
    if found != expected:
        problem = "truncated" if found < expected else "trailing bytes"
        raise ValueError(
            f"{name}: {problem}: the header declares shape {shape} of {dtype.name}, "
            f"{expected} data bytes, but the file has {found}"
        )
    return (
        np.frombuffer(data, dtype=dtype, offset=header)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
    )


def load_mnist(
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    *,
    n_train: int | None = None,
    n_test: int | None = None,
    dtype: DTypeLike = np.float64,
    mirrors: Sequence[str] = MNIST_MIRRORS,
    timeout: float = 60.0,
    checksums: Mapping[str, str] | None = None,
) -> DigitData:
    r"""The original MNIST digits: 28×28 pixels, the official 60 000 / 10 000 split.

    The four gzipped IDX files (:data:`MNIST_FILES`) are read from ``cache_dir``
    (default: the ``BACKPROP_DATA`` environment variable, else
    ``~/.cache/backprop_lib/mnist``). Missing files raise ``FileNotFoundError`` unless
    ``download=True``; then each is fetched over HTTPS from the first of ``mirrors`` that
    answers within ``timeout`` seconds with the right bytes, and stored in the cache. A
    later call reads the cache and downloads nothing.

    Every file, cached or fresh, must match its SHA-256 in ``checksums`` (default: the
    published :data:`MNIST_SHA256`; pass your own table only for a private copy or tests).

    Pixels 0..255 are divided by 255. ``n_train`` and ``n_test`` keep only the first
    images of each set (in float64 the full ``X_train`` takes 376 MB; ``n_train`` or
    ``dtype=np.float32`` make it smaller). Returns a :class:`DigitData`: ``X`` ``(B, 784)``, ``T``
    ``(B, 10)``, ``y`` ``(B,)``, ``image_shape == (28, 28)``.
    """
    if not isinstance(download, bool):
        raise TypeError(f"download must be True or False, got {download!r}")
    for arg, value in (("n_train", n_train), ("n_test", n_test)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1
        ):
            raise ValueError(f"{arg} must be None or a positive int, got {value!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if isinstance(mirrors, str) or not all(isinstance(m, str) for m in mirrors) or not mirrors:
        raise TypeError(f"mirrors must be a non-empty sequence of URL strings, got {mirrors!r}")
    dtype = _float_dtype(dtype)
    checksums = MNIST_SHA256 if checksums is None else dict(checksums)
    if sorted(checksums) != sorted(MNIST_FILES):
        raise ValueError(
            f"checksums must map exactly the files {list(MNIST_FILES)}, got {sorted(checksums)}"
        )
    for name, digest in checksums.items():
        if not (isinstance(digest, str) and len(digest) == 64 and _is_hex(digest)):
            raise ValueError(f"checksums[{name!r}] must be 64 hex digits (SHA-256), got {digest!r}")
    cache = _mnist_cache_dir(cache_dir)
    if cache.exists() and not cache.is_dir():
        raise NotADirectoryError(
            f"the MNIST cache {cache} is a file, not a directory; remove it, or choose "
            f"another directory with cache_dir= or the BACKPROP_DATA environment variable."
        )
    for name in MNIST_FILES:
        if (cache / name).exists() and not (cache / name).is_file():
            raise IsADirectoryError(
                f"{cache / name} is a directory, not the MNIST file {name}; remove or rename "
                f"it, then call load_mnist(download=True) or copy the official file there."
            )

    missing = [name for name in MNIST_FILES if not (cache / name).is_file()]
    if missing and not download:
        raise FileNotFoundError(
            f"MNIST files missing from {cache}: {', '.join(missing)}. "
            f"Call load_mnist(download=True) to download them (about 11 MB) from "
            f"{mirrors[0]}, or copy the four official files into that directory yourself "
            f"(choose another directory with cache_dir= or the BACKPROP_DATA environment "
            f"variable)."
        )
    for name in missing:
        _download(name, cache, mirrors, checksums[name], timeout)

    arrays = {}
    for name in MNIST_FILES:
        path = cache / name
        data = _read_bytes(path)
        _verify(data, checksums[name], str(path))
        arrays[name] = parse_idx(data, name=str(path))
    images_train, labels_train = _check_mnist(arrays, MNIST_FILES[0], MNIST_FILES[1], cache)
    images_test, labels_test = _check_mnist(arrays, MNIST_FILES[2], MNIST_FILES[3], cache)

    for arg, value, available in (
        ("n_train", n_train, len(labels_train)),
        ("n_test", n_test, len(labels_test)),
    ):
        if value is not None and value > available:
            raise ValueError(f"{arg}={value} exceeds the {available} images available")
    return _digit_data(
        "MNIST",
        images_train[:n_train],
        labels_train[:n_train],
        images_test[:n_test],
        labels_test[:n_test],
        max_value=255.0,
        dtype=dtype,
    )


def _check_mnist(arrays, images_name, labels_name, cache):
    r"""Check a parsed image file ``(B, 28, 28)`` uint8 and its labels ``(B,)`` in 0..9."""
    images, labels = arrays[images_name], arrays[labels_name]
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{cache / images_name}: expected uint8 images of shape (B, 28, 28), "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(
            f"{cache / labels_name}: expected {len(images)} uint8 labels (one per image in "
            f"{images_name}), got {labels.dtype} of shape {labels.shape}"
        )
    if labels.size and labels.max() >= N_CLASSES:
        raise ValueError(
            f"{cache / labels_name}: labels must lie in 0..{N_CLASSES - 1}, "
            f"found {int(labels.max())}"
        )
    if len(images) == 0:
        raise ValueError(f"{cache / images_name}: the file holds no images")
    return images, labels.astype(np.int64)


def _digit_data(name, images_train, labels_train, images_test, labels_test, max_value, dtype):
    r"""Flatten images ``(B, h, w)`` to ``X`` ``(B, h * w)`` in [0, 1]; one-hot the labels."""

    def inputs(images):
        return (images.reshape(len(images), -1) / max_value).astype(dtype)

    return DigitData(
        X_train=inputs(images_train),
        T_train=one_hot(labels_train, N_CLASSES).astype(dtype),
        y_train=labels_train,
        X_test=inputs(images_test),
        T_test=one_hot(labels_test, N_CLASSES).astype(dtype),
        y_test=labels_test,
        image_shape=tuple(int(size) for size in images_train.shape[1:]),
        name=name,
    )


def _generator(rng) -> np.random.Generator:
    r"""``rng`` as a Generator: a seed (int) or a ``numpy.random.Generator``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        raise TypeError(
            f"rng must be an int seed or a numpy.random.Generator, got {type(rng).__name__}"
        )
    return np.random.default_rng(rng)


def _float_dtype(dtype) -> np.dtype:
    r"""Accept float32 or float64 (the dtypes ``Dense`` supports)."""
    result = float_dtype(dtype)
    if result is None:
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return result


def _mnist_cache_dir(cache_dir) -> Path:
    r"""``cache_dir``, else ``$BACKPROP_DATA``, else ``~/.cache/backprop_lib/mnist``."""
    if cache_dir is None:
        cache_dir = os.environ.get("BACKPROP_DATA") or Path.home() / ".cache/backprop_lib/mnist"
    if not isinstance(cache_dir, (str, os.PathLike)):
        raise TypeError(f"cache_dir must be a path or None, got {type(cache_dir).__name__}")
    return Path(cache_dir).expanduser()


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdefABCDEF" for char in text)


def _verify(data: bytes, expected: str, name: str) -> None:
    r"""Raise ``ValueError`` unless SHA-256(``data``) equals ``expected``."""
    found = hashlib.sha256(data).hexdigest()
    if found != expected.lower():
        raise ValueError(
            f"{name}: SHA-256 checksum mismatch: the file has {found}, the published "
            f"checksum is {expected}. The file is corrupt or not the official one; delete it "
            f"and call load_mnist(download=True) to fetch it again."
        )


def _download(name: str, cache: Path, mirrors, expected: str, timeout: float) -> None:
    r"""Fetch ``name`` from the first mirror that serves bytes with the right checksum."""
    import http.client
    import urllib.request

    errors = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                data = response.read()
            _verify(data, expected, url)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            errors.append(f"{url}: {exc}")
            continue
        _store(data, cache, name)
        return
    raise OSError(f"could not download {name} from any mirror:\n  " + "\n  ".join(errors))


def _write(file, data: bytes) -> None:
    """Write ``data`` to the open ``file`` and flush it to disk (a test replaces this to
    simulate a full or read-only disk)."""
    file.write(data)
    file.flush()
    os.fsync(file.fileno())


def _store(data: bytes, cache: Path, name: str) -> None:
    r"""Write ``data`` to ``cache / name`` through a temporary file of a unique name in the
    cache (``tempfile.mkstemp``: created anew, never through a symlink someone planted),
    renamed into place with ``os.replace``, so the cache never holds half a file, even with
    two loaders at once. A failure (read-only or full disk, a directory in the way) removes
    the temporary file and raises the same ``OSError`` subclass naming the path and what to
    do."""
    import tempfile

    partial = None
    try:
        cache.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=cache, prefix=f".{name}.", suffix=".part")
        with os.fdopen(fd, "wb") as file:
            _write(file, data)
        os.replace(partial, cache / name)  # atomic: the cache never holds half a file
    except OSError as exc:
        if partial is not None:
            try:
                os.unlink(partial)
            except OSError:  # already renamed, or the directory vanished or is locked
                pass
        what = (
            "make the directory writable or choose another cache_dir= (or BACKPROP_DATA)"
            if isinstance(exc, PermissionError)
            else "free disk space, remove whatever is in the way, or choose another "
            "cache_dir= (or BACKPROP_DATA)"
        )
        raise type(exc)(
            f"could not store {name} in the MNIST cache {cache} ({exc}); {what}."
        ) from None

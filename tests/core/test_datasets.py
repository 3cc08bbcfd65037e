r"""Tests for backprop_lib.teaching.datasets: the digits loaders, one-hot targets and the
IDX/MNIST reader.

No test touches the network: MNIST is exercised on small IDX files written here by hand
with ``struct`` (independently of the parser), and every download goes to a fake urlopen.
"""

import gzip
import hashlib
import struct
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_load_digits

from backprop_lib.teaching import datasets
from backprop_lib.teaching.datasets import (
    MNIST_FILES,
    MNIST_SHA256,
    DigitData,
    load_digits,
    load_mnist,
    one_hot,
    parse_idx,
    read_idx,
)

# ---------------------------------------------------------------- one_hot


def test_one_hot_by_hand():
    expected = [[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0]]
    T = one_hot([2, 0, 2, 1], 3)
    assert T.dtype == np.float64
    np.testing.assert_array_equal(T, expected)


def test_one_hot_empty():
    assert one_hot(np.array([], dtype=int), 4).shape == (0, 4)


@pytest.mark.parametrize(
    ("labels", "n_classes", "error", "message"),
    [
        ([0, 3], 3, ValueError, r"0\.\.2.*\[3\]"),
        ([-1, 0], 3, ValueError, r"\[-1\]"),
        ([0.0, 1.0], 3, TypeError, "labels must be integers.*float64"),
        ([True, False], 3, TypeError, "labels must be integers"),
        ([[0, 1]], 3, ValueError, r"shape \(B,\).*\(1, 2\)"),
        ([0, 1], 0, ValueError, "n_classes must be at least 1"),
        ([0, 1], 2.0, TypeError, "n_classes must be an int"),
    ],
)
def test_one_hot_refuses(labels, n_classes, error, message):
    with pytest.raises(error, match=message):
        one_hot(labels, n_classes)


# ---------------------------------------------------------------- load_digits


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def sklearn_digits():
    bunch = sklearn_load_digits()
    return bunch.data, bunch.target


def test_digits_shapes_and_ranges(digits):
    assert isinstance(digits, DigitData)
    assert digits.image_shape == (8, 8)
    assert digits.n_inputs == 64 and digits.n_classes == 10
    assert len(digits.X_train) + len(digits.X_test) == 1797
    for X, T, y in (
        (digits.X_train, digits.T_train, digits.y_train),
        (digits.X_test, digits.T_test, digits.y_test),
    ):
        assert X.dtype == T.dtype == np.float64
        assert X.shape == (len(y), 64) and T.shape == (len(y), 10) and y.shape == (len(y),)
        assert np.issubdtype(y.dtype, np.integer)
        assert X.min() == 0.0 and X.max() == 1.0
        # The raw pixels are the integers 0..16.
        np.testing.assert_array_equal(X * 16, np.round(X * 16))
        # One-hot, checked entry by entry against the labels.
        np.testing.assert_array_equal(T[np.arange(len(y)), y], 1.0)
        np.testing.assert_array_equal(T.sum(axis=1), 1.0)
    assert "8x8" in repr(digits)


def test_digits_split_is_a_partition_of_the_data(digits, sklearn_digits):
    data, target = sklearn_digits
    # Every (image, label) of scikit-learn's set appears exactly once across the two sets:
    # sort the rows of both and compare (a multiset comparison, robust to duplicate images).
    ours = np.column_stack(
        [
            np.concatenate([digits.X_train, digits.X_test]) * 16,
            np.concatenate([digits.y_train, digits.y_test]),
        ]
    )
    theirs = np.column_stack([data, target])
    np.testing.assert_array_equal(
        ours[np.lexsort(ours.T[::-1])], theirs[np.lexsort(theirs.T[::-1])]
    )


def test_digits_split_is_stratified(digits, sklearn_digits):
    counts = np.bincount(sklearn_digits[1], minlength=10)
    test_counts = np.bincount(digits.y_test, minlength=10)
    assert np.all(np.abs(test_counts - 0.25 * counts) <= 0.5)
    np.testing.assert_array_equal(test_counts + np.bincount(digits.y_train, minlength=10), counts)


def test_digits_deterministic(digits):
    again = load_digits(rng=0)
    for field in ("X_train", "T_train", "y_train", "X_test", "T_test", "y_test"):
        np.testing.assert_array_equal(getattr(again, field), getattr(digits, field))
    same = load_digits(rng=np.random.default_rng(0))
    np.testing.assert_array_equal(same.y_test, digits.y_test)
    other = load_digits(rng=1)
    assert not np.array_equal(other.X_test, digits.X_test)


def test_digits_test_size_and_dtype():
    data = load_digits(test_size=0.5, dtype=np.float32)
    assert abs(len(data.X_test) - 1797 / 2) <= 10
    assert data.X_train.dtype == data.T_test.dtype == np.float32


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"test_size": 0.0}, ValueError, "test_size must lie strictly between 0 and 1, got 0.0"),
        ({"test_size": 1.5}, ValueError, "test_size"),
        ({"test_size": 0.001}, ValueError, "at least one of each digit"),
        ({"test_size": "0.2"}, TypeError, "test_size must be a float"),
        ({"rng": 1.5}, TypeError, "rng must be an int seed or a numpy.random.Generator"),
        ({"rng": None}, TypeError, "rng must be"),
        ({"dtype": np.int64}, ValueError, "dtype must be float32 or float64"),
    ],
)
def test_digits_refuses(kwargs, error, message):
    with pytest.raises(error, match=message):
        load_digits(**kwargs)


def test_import_is_light():
    code = (
        "import sys, backprop_lib.teaching.datasets; "
        "heavy = [m for m in ('sklearn', 'urllib.request') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- IDX files, written by hand


def idx_ubyte(shape, values):
    r"""IDX bytes for uint8 ``values`` (a flat list) of ``shape``: magic 0x0000 08 ndim."""
    header = bytes([0, 0, 0x08, len(shape)]) + b"".join(struct.pack(">I", n) for n in shape)
    return header + bytes(values)


def pixel(n, i, j):
    r"""The test images' pixel rule: any rule that spans 0..255 will do."""
    return (7 * n + 3 * i + 5 * j) % 256


def fake_set(labels):
    r"""IDX bytes of 28x28 images following :func:`pixel`, and of their labels."""
    count = len(labels)
    values = [pixel(n, i, j) for n in range(count) for i in range(28) for j in range(28)]
    return idx_ubyte((count, 28, 28), values), idx_ubyte((count,), labels)


TRAIN_LABELS = [3, 1, 4, 1, 5]
TEST_LABELS = [9, 2, 6]


def fake_mnist_files():
    r"""The four MNIST file names mapped to small gzipped fakes."""
    train_images, train_labels = fake_set(TRAIN_LABELS)
    test_images, test_labels = fake_set(TEST_LABELS)
    raw = [train_images, train_labels, test_images, test_labels]
    return {name: gzip.compress(data, mtime=0) for name, data in zip(MNIST_FILES, raw, strict=True)}


def sha256_table(files):
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def write(directory, files):
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip_ubyte(tmp_path, compress):
    data = idx_ubyte((2, 3), [0, 1, 2, 253, 254, 255])
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    path.write_bytes(gzip.compress(data) if compress else data)
    array = read_idx(path)
    assert array.dtype == np.uint8
    np.testing.assert_array_equal(array, [[0, 1, 2], [253, 254, 255]])


def test_idx_wider_types_are_big_endian():
    shorts = bytes([0, 0, 0x0B, 1]) + struct.pack(">I", 3) + struct.pack(">3h", -2, 258, 32767)
    np.testing.assert_array_equal(parse_idx(shorts), [-2, 258, 32767])
    doubles = bytes([0, 0, 0x0E, 2]) + struct.pack(">2I", 1, 2) + struct.pack(">2d", 0.5, -3.25)
    array = parse_idx(doubles)
    assert array.dtype == np.float64 and array.dtype.isnative
    np.testing.assert_array_equal(array, [[0.5, -3.25]])


GOOD = idx_ubyte((2, 2), [1, 2, 3, 4])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00", "too short for the 4-byte IDX magic number"),
        (b"\x00\x01\x08\x01" + GOOD[4:], "bad IDX magic number 0x00010801"),
        (b"\x00\x00\x07\x02" + GOOD[4:], "bad IDX magic number 0x00000702"),
        (b"\x00\x00\x08\x00", "bad IDX magic number 0x00000800"),
        (GOOD[:9], "truncated header: 2 dimensions need 12 header bytes, the file has 9"),
        (GOOD[:-1], r"truncated: the header declares shape \(2, 2\).*4 data bytes.*has 3"),
        (GOOD + b"\x00", r"trailing bytes: .*4 data bytes.*has 5"),
        (gzip.compress(GOOD, mtime=0)[:-6], "corrupt or truncated gzip"),
        (b"\x1f\x8b" + b"not gzip at all", "corrupt or truncated gzip"),
    ],
)
def test_idx_malformed(tmp_path, data, message):
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------- load_mnist


@pytest.fixture
def no_network(monkeypatch):
    r"""Fail the test if anything tries to open a URL."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"unexpected network access: {args}")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


class FakeResponse:
    def __init__(self, data):
        self.data = data

    def read(self):
        return self.data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def fake_server(monkeypatch):
    r"""Serve the fake files at any ``https://good.example/`` URL; count the requests."""
    files = fake_mnist_files()
    requests = []

    def urlopen(url, timeout):
        requests.append(url)
        assert timeout == 60.0
        if url.startswith("https://down.example/"):
            raise urllib.error.URLError("connection refused")
        if url.startswith("https://bad.example/"):
            return FakeResponse(b"an error page")
        return FakeResponse(files[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return files, requests


def expected_inputs(count):
    return np.array(
        [[pixel(n, i, j) / 255 for i in range(28) for j in range(28)] for n in range(count)]
    )


def test_mnist_reads_verified_cache(tmp_path, no_network):
    files = fake_mnist_files()
    write(tmp_path, files)
    data = load_mnist(tmp_path, checksums=sha256_table(files))
    assert data.image_shape == (28, 28) and data.n_inputs == 784 and data.name == "MNIST"
    np.testing.assert_allclose(data.X_train, expected_inputs(5), rtol=0, atol=1e-15)
    np.testing.assert_allclose(data.X_test, expected_inputs(3), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(data.y_train, TRAIN_LABELS)
    np.testing.assert_array_equal(data.y_test, TEST_LABELS)
    np.testing.assert_array_equal(data.T_train[np.arange(5), TRAIN_LABELS], 1.0)
    np.testing.assert_array_equal(data.T_train.sum(axis=1), 1.0)
    assert data.T_test.shape == (3, 10)


def test_mnist_subsets_and_dtype(tmp_path, no_network):
    files = fake_mnist_files()
    write(tmp_path, files)
    data = load_mnist(
        tmp_path, n_train=2, n_test=1, dtype=np.float32, checksums=sha256_table(files)
    )
    assert data.X_train.shape == (2, 784) and data.X_test.shape == (1, 784)
    assert data.X_train.dtype == data.T_train.dtype == np.float32
    np.testing.assert_array_equal(data.y_train, TRAIN_LABELS[:2])
    with pytest.raises(ValueError, match="n_train=6 exceeds the 5 images available"):
        load_mnist(tmp_path, n_train=6, checksums=sha256_table(files))
    with pytest.raises(ValueError, match="n_test must be None or a positive int, got 0"):
        load_mnist(tmp_path, n_test=0, checksums=sha256_table(files))


def test_mnist_checksum_mismatch(tmp_path, no_network):
    files = fake_mnist_files()
    write(tmp_path, files)
    table = sha256_table(files)
    wrong = "0" * 64
    table["t10k-labels-idx1-ubyte.gz"] = wrong
    with pytest.raises(ValueError, match="checksum mismatch") as info:
        load_mnist(tmp_path, checksums=table)
    message = str(info.value)
    assert str(tmp_path / "t10k-labels-idx1-ubyte.gz") in message
    assert wrong in message
    assert hashlib.sha256(files["t10k-labels-idx1-ubyte.gz"]).hexdigest() in message
    assert "download=True" in message


def test_mnist_official_checksums_reject_fakes(tmp_path, no_network):
    write(tmp_path, fake_mnist_files())
    with pytest.raises(ValueError, match=MNIST_SHA256["train-images-idx3-ubyte.gz"]):
        load_mnist(tmp_path)


def test_mnist_missing_files_without_download(tmp_path, no_network):
    files = fake_mnist_files()
    del files["train-labels-idx1-ubyte.gz"]
    write(tmp_path, files)
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message and "train-labels-idx1-ubyte.gz" in message
    assert "train-images-idx3-ubyte.gz" not in message
    assert "load_mnist(download=True)" in message and "BACKPROP_DATA" in message


def test_mnist_default_cache_dir(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("BACKPROP_DATA", str(tmp_path / "from-env"))
    with pytest.raises(FileNotFoundError, match="from-env"):
        load_mnist()
    monkeypatch.delenv("BACKPROP_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(FileNotFoundError, match=r"home/\.cache/backprop_lib/mnist"):
        load_mnist()


def test_mnist_downloads_once_then_reads_cache(tmp_path, fake_server):
    files, requests = fake_server
    cache = tmp_path / "new" / "mnist"
    table = sha256_table(files)
    first = load_mnist(
        cache, download=True, mirrors=("https://good.example/mnist",), checksums=table
    )
    assert sorted(requests) == sorted(f"https://good.example/mnist/{name}" for name in files)
    for name, data in files.items():
        assert (cache / name).read_bytes() == data
    assert not list(cache.glob("*.part"))
    second = load_mnist(
        cache, download=True, mirrors=("https://good.example/mnist",), checksums=table
    )
    third = load_mnist(cache, checksums=table)
    assert len(requests) == 4
    np.testing.assert_array_equal(second.X_train, first.X_train)
    np.testing.assert_array_equal(third.y_test, first.y_test)


def test_mnist_download_falls_back_to_next_mirror(tmp_path, fake_server):
    files, requests = fake_server
    mirrors = ("https://down.example/", "https://bad.example/", "https://good.example/")
    data = load_mnist(tmp_path, download=True, mirrors=mirrors, checksums=sha256_table(files))
    np.testing.assert_array_equal(data.y_train, TRAIN_LABELS)
    assert len(requests) == 3 * 4


def test_mnist_download_fails_on_every_mirror(tmp_path, fake_server):
    files, _ = fake_server
    mirrors = ("https://down.example/", "https://bad.example/")
    with pytest.raises(OSError, match="could not download train-images-idx3-ubyte.gz") as info:
        load_mnist(tmp_path, download=True, mirrors=mirrors, checksums=sha256_table(files))
    message = str(info.value)
    assert "https://down.example/train-images-idx3-ubyte.gz: <urlopen error" in message
    assert "https://bad.example/train-images-idx3-ubyte.gz: " in message
    assert "checksum mismatch" in message
    assert not (tmp_path / "train-images-idx3-ubyte.gz").exists()


def test_mnist_rejects_wrong_content(tmp_path, no_network):
    files = fake_mnist_files()
    small_images = idx_ubyte((5, 27, 27), [0] * (5 * 27 * 27))
    files["train-images-idx3-ubyte.gz"] = gzip.compress(small_images)
    write(tmp_path, files)
    with pytest.raises(ValueError, match=r"train-images.*\(B, 28, 28\).*\(5, 27, 27\)"):
        load_mnist(tmp_path, checksums=sha256_table(files))

    files = fake_mnist_files()
    files["t10k-labels-idx1-ubyte.gz"] = gzip.compress(idx_ubyte((2,), [1, 2]))
    write(tmp_path, files)
    with pytest.raises(ValueError, match="t10k-labels.*expected 3 uint8 labels"):
        load_mnist(tmp_path, checksums=sha256_table(files))

    files = fake_mnist_files()
    files["t10k-labels-idx1-ubyte.gz"] = gzip.compress(idx_ubyte((3,), [1, 10, 2]))
    write(tmp_path, files)
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.9, found 10"):
        load_mnist(tmp_path, checksums=sha256_table(files))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"download": "yes"}, TypeError, "download must be True or False"),
        ({"timeout": 0}, ValueError, "timeout must be a positive number"),
        ({"mirrors": "https://x/"}, TypeError, "mirrors must be a non-empty sequence"),
        ({"mirrors": ()}, TypeError, "mirrors must be a non-empty sequence"),
        ({"checksums": {"a.gz": "0" * 64}}, ValueError, "checksums must map exactly the files"),
        ({"checksums": dict.fromkeys(MNIST_FILES, "xyz")}, ValueError, "64 hex digits"),
        ({"cache_dir": 3}, TypeError, "cache_dir must be a path or None, got int"),
        ({"n_train": 2.5}, ValueError, "n_train must be None or a positive int"),
        ({"dtype": "int8"}, ValueError, "dtype must be float32 or float64"),
    ],
)
def test_mnist_refuses(tmp_path, no_network, kwargs, error, message):
    kwargs.setdefault("cache_dir", tmp_path)
    with pytest.raises(error, match=message):
        load_mnist(**kwargs)


def test_official_checksum_table_is_well_formed():
    assert sorted(MNIST_SHA256) == sorted(MNIST_FILES)
    for digest in MNIST_SHA256.values():
        assert len(digest) == 64 and int(digest, 16) >= 0


# ---------------------------------------------------------------- cache faults (issue 12)

GOOD_MIRROR = ("https://good.example/mnist",)


def test_a_failed_write_leaves_no_part_file(tmp_path, fake_server, monkeypatch):
    """A full disk: the write stores half the bytes, then fails."""
    files, _ = fake_server

    def half_then_full(file, data):
        file.write(data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(datasets, "_write", half_then_full)
    cache = tmp_path / "cache"
    with pytest.raises(
        OSError,
        match=r"could not store train-images-idx3-ubyte\.gz in the "
        r"MNIST cache .*cache \(.*No space left on device\); free disk space",
    ):
        load_mnist(cache, download=True, mirrors=GOOD_MIRROR, checksums=sha256_table(files))
    assert list(cache.iterdir()) == []


def test_a_read_only_cache_says_so(tmp_path, fake_server, monkeypatch):
    files, _ = fake_server

    def denied(file, data):
        raise PermissionError(13, "Permission denied", file.name)

    monkeypatch.setattr(datasets, "_write", denied)
    with pytest.raises(
        PermissionError,
        match=r"could not store .* in the MNIST cache "
        r".*make the directory writable or choose another cache_dir=",
    ):
        load_mnist(tmp_path, download=True, mirrors=GOOD_MIRROR, checksums=sha256_table(files))
    assert not list(tmp_path.glob("*.part"))


def test_a_directory_at_a_files_name(tmp_path, fake_server):
    files, requests = fake_server
    (tmp_path / MNIST_FILES[1]).mkdir()
    with pytest.raises(
        IsADirectoryError,
        match=rf"{MNIST_FILES[1]} is a directory, not the "
        r"MNIST file .*remove or rename it",
    ):
        load_mnist(tmp_path, download=True, mirrors=GOOD_MIRROR, checksums=sha256_table(files))
    assert requests == [] and sorted(p.name for p in tmp_path.iterdir()) == [MNIST_FILES[1]]


def test_a_cache_path_that_is_a_file(tmp_path, no_network):
    cache = tmp_path / "mnist"
    cache.write_text("not a directory")
    with pytest.raises(
        NotADirectoryError,
        match=r"the MNIST cache .*mnist is a file, not a "
        r"directory; remove it, or choose another directory with cache_dir=",
    ):
        load_mnist(cache, download=True)


def test_a_cache_below_a_file(tmp_path, fake_server):
    files, _ = fake_server
    (tmp_path / "blocker").write_text("a file")
    with pytest.raises(OSError, match=r"could not store .* in the MNIST cache .*blocker"):
        load_mnist(
            tmp_path / "blocker" / "mnist",
            download=True,
            mirrors=GOOD_MIRROR,
            checksums=sha256_table(files),
        )
    assert (tmp_path / "blocker").read_text() == "a file"


@pytest.mark.parametrize("data", ["abcd", 1234, None, [0, 0, 8, 1]])
def test_parse_idx_refuses_what_is_not_bytes(data):
    with pytest.raises(TypeError, match=r"parse_idx: data must be the bytes of an IDX file"):
        parse_idx(data)


def test_read_idx_of_a_directory_or_a_missing_file(tmp_path):
    with pytest.raises(IsADirectoryError, match=rf"{tmp_path} is a directory, not an IDX"):
        read_idx(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"nothing\.idx does not exist"):
        read_idx(tmp_path / "nothing.idx")


def test_a_symlink_planted_at_the_part_name_is_not_followed(tmp_path, fake_server):
    """The old loader wrote through ``<cache>/NAME.part``: a symlink planted there made it
    overwrite the link's target outside the cache. The temporary file now has a fresh unique
    name, created anew."""
    files, _ = fake_server
    cache = tmp_path / "cache"
    cache.mkdir()
    target = tmp_path / "outside.txt"
    target.write_bytes(b"keep me")
    for name in files:
        (cache / (name + ".part")).symlink_to(target)
    load_mnist(cache, download=True, mirrors=GOOD_MIRROR, checksums=sha256_table(files))
    assert target.read_bytes() == b"keep me"
    for name, data in files.items():
        assert (cache / name).read_bytes() == data
        assert not (cache / name).is_symlink()
    left = sorted(p.name for p in cache.iterdir() if p.name not in files)
    assert left == sorted(name + ".part" for name in files)  # the planted links, untouched


def test_the_temporary_files_are_unique_and_removed(tmp_path, monkeypatch):
    """Two stores of one name write two different temporary files; none is left."""
    import tempfile

    seen = []
    real = tempfile.mkstemp

    def record(*args, **kwargs):
        fd, name = real(*args, **kwargs)
        seen.append(name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", record)
    datasets._store(b"one", tmp_path, "x.gz")
    datasets._store(b"two", tmp_path, "x.gz")
    assert len(set(seen)) == 2 and all(Path(n).parent == tmp_path for n in seen)
    assert (tmp_path / "x.gz").read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["x.gz"]

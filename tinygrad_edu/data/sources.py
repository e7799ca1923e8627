"""Where the MNIST-format data sets come from: file names, mirrors, checksums, search paths.

Layer L6 (stdlib only). `SPECS` describes MNIST and Fashion-MNIST (the published file names,
mirror URLs, SHA-256 digests). `find_split` looks for the two files of a split, in this order:
the `root` argument (only there, when given), the data set's own environment variable
(TINYGRAD_EDU_MNIST / TINYGRAD_EDU_FASHION_MNIST), $TINYGRAD_EDU_DATA/<name>, the cache directory
($XDG_CACHE_HOME or ~/.cache)/tinygrad_edu/<name>, and for Fashion-MNIST Debian's
/usr/share/datasets/fashion-mnist. A miss raises FileNotFoundError listing exactly those paths and
how to get the data. `download_split` fetches missing files with download.py. See docs/data.md.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .download import download_file


@dataclass(frozen=True)
class FileSpec:
    name: str                       # the published file name, always gzip-compressed
    sha256: tuple[str, ...]         # accepted digests of the .gz file
    size: int                       # bytes of the .gz file on the mirrors


@dataclass(frozen=True)
class DatasetSpec:
    name: str                       # directory name under the cache / TINYGRAD_EDU_DATA
    title: str
    env_var: str
    mirrors: tuple[str, ...]
    files: dict[str, FileSpec]      # keys: train-images, train-labels, test-images, test-labels
    system_dir: str | None = None   # where a distribution package installs it


# SHA-256 of the archives as served by the mirrors (published by many independent projects).
MNIST = DatasetSpec(
    name="mnist", title="MNIST", env_var="TINYGRAD_EDU_MNIST",
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "https://storage.googleapis.com/cvdf-datasets/mnist/",
             "http://yann.lecun.com/exdb/mnist/"),
    files={
        "train-images": FileSpec("train-images-idx3-ubyte.gz",
                                 ("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",), 9912422),
        "train-labels": FileSpec("train-labels-idx1-ubyte.gz",
                                 ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",), 28881),
        "test-images": FileSpec("t10k-images-idx3-ubyte.gz",
                                ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",), 1648877),
        "test-labels": FileSpec("t10k-labels-idx1-ubyte.gz",
                                ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",), 4542),
    },
)

# Two digests per file: Zalando's published archives (first) and Debian's dataset-fashion-mnist
# copies (second, computed from the installed files). Debian's build normalised the gzip header
# (file name dropped, timestamp reset) and kept the compressed data, so the archives differ while
# the IDX content is identical; tests/test_download.py rebuilds Zalando's bytes from Debian's.
FASHION_MNIST = DatasetSpec(
    name="fashion-mnist", title="Fashion-MNIST", env_var="TINYGRAD_EDU_FASHION_MNIST",
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
             "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
    files={
        "train-images": FileSpec("train-images-idx3-ubyte.gz",
                                 ("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                                  "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"), 26421880),
        "train-labels": FileSpec("train-labels-idx1-ubyte.gz",
                                 ("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                                  "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"), 29515),
        "test-images": FileSpec("t10k-images-idx3-ubyte.gz",
                                ("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                                 "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"), 4422102),
        "test-labels": FileSpec("t10k-labels-idx1-ubyte.gz",
                                ("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                                 "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"), 5148),
    },
    system_dir="/usr/share/datasets/fashion-mnist",
)

SPECS = {"mnist": MNIST, "fashion-mnist": FASHION_MNIST}


def cache_dir(spec: DatasetSpec) -> Path:
    """($XDG_CACHE_HOME or ~/.cache)/tinygrad_edu/<name>: where download=True stores files by default."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tinygrad_edu" / spec.name


def search_dirs(spec: DatasetSpec, root: str | os.PathLike[str] | None) -> list[tuple[Path, str]]:
    """The directories searched, in order, each with the reason it is searched."""
    if root is not None:
        return [(Path(root), "root argument")]
    dirs = []
    if os.environ.get(spec.env_var):
        dirs.append((Path(os.environ[spec.env_var]), f"${spec.env_var}"))
    if os.environ.get("TINYGRAD_EDU_DATA"):
        dirs.append((Path(os.environ["TINYGRAD_EDU_DATA"]) / spec.name, "$TINYGRAD_EDU_DATA/" + spec.name))
    dirs.append((cache_dir(spec), "cache directory"))
    if spec.system_dir is not None:
        dirs.append((Path(spec.system_dir), "Debian package dataset-fashion-mnist"))
    return dirs


def _file_in(directory: Path, file: FileSpec) -> Path | None:
    """The file as published (.gz) or decompressed (no suffix), whichever exists."""
    for candidate in (directory / file.name, directory / file.name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _split_keys(train: bool) -> tuple[str, str]:
    return ("train-images", "train-labels") if train else ("test-images", "test-labels")


def find_split(spec: DatasetSpec, train: bool, root: str | os.PathLike[str] | None = None) -> tuple[Path, Path] | None:
    """(images, labels) paths of the first searched directory that holds both files, else None."""
    keys = _split_keys(train)
    for directory, _ in search_dirs(spec, root):
        found = [_file_in(directory, spec.files[key]) for key in keys]
        if found[0] is not None and found[1] is not None:
            return found[0], found[1]
    return None


def missing_message(spec: DatasetSpec, train: bool, root: str | os.PathLike[str] | None) -> str:
    """The error text for a data set that is nowhere: every path looked in and how to get the files."""
    names = [spec.files[key].name for key in _split_keys(train)]
    split = "training" if train else "test"
    looked = "\n".join(f"  {directory}  ({why})" for directory, why in search_dirs(spec, root))
    target = root if root is not None else cache_dir(spec)
    ways = [f"  - pass download=True to fetch them (needs internet) into {target}",
            f"  - or put the files (.gz or decompressed) in a directory and set {spec.env_var}=/that/directory"
            " or pass root=/that/directory"]
    if spec.system_dir is not None:
        ways.append("  - or on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist "
                    f"(installs to {spec.system_dir})")
    ways.append('  - or train on the small subset shipped with tinygrad_edu: load_mnist(dataset="embedded")')
    return (f"{spec.title} {split} files ({', '.join(names)}) not found. Looked in:\n{looked}\n"
            f"To get them:\n" + "\n".join(ways))


def download_split(spec: DatasetSpec, train: bool, root: str | os.PathLike[str] | None = None,
                   timeout: float = 30.0) -> tuple[Path, Path]:
    """Download the two files of a split into `root` (or the cache directory); verified, atomic."""
    target = Path(root) if root is not None else cache_dir(spec)
    paths = []
    for key in _split_keys(train):
        file = spec.files[key]
        existing = _file_in(target, file)
        if existing is not None:
            paths.append(existing)
            continue
        urls = [mirror + file.name for mirror in spec.mirrors]
        # 1 KiB of slack: a mirror may re-compress with a longer gzip header
        paths.append(download_file(urls, target / file.name, file.sha256, max_bytes=file.size + 1024,
                                   timeout=timeout))
    return paths[0], paths[1]

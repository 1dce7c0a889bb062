"""Small shared helpers: atomic writes, hashing, provenance."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import __version__
from .errors import UsageError

HOST_ID_ENV = "MOBENCH_HOST_ID"


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder + rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; give the file the mode a plain open() would (0666 & ~umask)
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder next to ``target``; on success rename it into place.

    On any exception the temporary folder is removed and ``target`` is untouched.
    With ``force`` an existing ``target`` is replaced only after the new one is
    complete.
    """
    target = Path(target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create folder {parent}: {exc.strerror or exc}") from exc
    if not os.access(parent, os.W_OK):
        raise UsageError(f"folder {parent} is not writable")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=parent))
    try:
        yield tmp
        if target.exists():
            if not force:
                raise UsageError(f"{target} exists; pass --force to replace it")
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
            old.rmdir()
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def sha256_path(path: str | os.PathLike) -> str:
    """sha256 of a file, or of a folder (e.g. ``.mlpackage``) over sorted relative paths + contents."""
    path = Path(path)
    h = hashlib.sha256()
    if path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(f.relative_to(path).as_posix().encode())
            h.update(b"\0")
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    else:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def fmt_number(value: Any, nd: int | None = None) -> str:
    """A number for tables and reports: ``-`` for None/NaN, about four significant digits.

    ``nd`` fixes the decimals; without it, 3 below 10, 2 below 100, else 1 (so
    milliseconds from 0.1 to 1000 all show four digits). Text that is not a number
    is returned as it is.
    """
    if value is None:
        return "-"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v:
        return "-"
    if nd is None:
        nd = 3 if abs(v) < 10 else 2 if abs(v) < 100 else 1
    return f"{v:.{nd}f}"


def safe_filename(name: str, limit: int = 180) -> str:
    """A file-system-safe name for ``name``: ``timm:resnet18`` -> ``timm-resnet18``.

    Runs of characters other than letters, digits, ``_``, ``.`` and ``-`` become
    one ``-``; the result starts and ends with a letter or digit (the harness
    plan schema's identifier pattern) and is at most ``limit`` characters.
    """
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:limit].strip("-._")
    return stem or "model"


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def tool_versions() -> dict[str, str | None]:
    """Versions of the tools whose behaviour changes results (no imports needed)."""
    return {
        "mobench": __version__,
        "python": platform.python_version(),
        "torch": package_version("torch"),
        "torchvision": package_version("torchvision"),
        "timm": package_version("timm"),
        "onnx": package_version("onnx"),
        "onnxruntime": package_version("onnxruntime"),
        "coremltools": package_version("coremltools"),
        "numpy": package_version("numpy"),
    }


def git_commit() -> str | None:
    """The git commit of the mobench checkout, if it is one (``-dirty`` when modified)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return sha + ("-dirty" if dirty else "")


def cpu_model() -> str:
    """Human-readable CPU model name."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            return (
                subprocess.run(
                    ["sysctl", "-n", "machdep.cpu.brand_string"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                ).stdout.strip()
                or platform.processor()
            )
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine()


def physical_cores() -> int:
    try:
        import psutil

        n = psutil.cpu_count(logical=False)
        if n:
            return int(n)
    except ImportError:
        pass
    return os.cpu_count() or 1


def host_id() -> str:
    """A stable id of this host: ``$MOBENCH_HOST_ID``, else a hash of ``/etc/machine-id``, else a
    random id generated once and kept in ``~/.cache/mobench/host_id`` (the hash keeps the raw
    machine id, which systemd documents as confidential, out of result files)."""
    env = os.environ.get(HOST_ID_ENV)
    if env:
        return env.strip()
    for p in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            mid = Path(p).read_text().strip()
        except OSError:
            continue
        if mid:
            return hashlib.sha256(("mobench-host:" + mid).encode("utf-8")).hexdigest()[:12]
    path = (
        Path(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"))
        / "mobench"
        / "host_id"
    )
    try:
        text = path.read_text().strip()
        if text:
            return text
    except OSError:
        pass
    new = uuid.uuid4().hex[:12]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(new + "\n")
        os.replace(tmp, path)
    except OSError:
        pass  # unwritable home: the id holds for this process only
    return new


def host_provenance() -> dict[str, Any]:
    """Where a measurement was taken: host, CPU, OS, tool versions, mobench commit."""
    return {
        "host": socket.gethostname(),
        "host_id": host_id(),
        "cpu": cpu_model(),
        "physical_cores": physical_cores(),
        "logical_cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "platform": platform.platform(),
        "machine": platform.machine(),
        "versions": tool_versions(),
        "git_commit": git_commit(),
    }


def cache_dir() -> Path:
    """mobench's cache folder: ``$MOBENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/mobench`` (``~/.cache/mobench``).

    Holds the counted complexity (``complexity.json``) and the user-model index beside it."""
    return Path(
        os.environ.get("MOBENCH_CACHE_DIR")
        or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mobench")
    )


def default_results_dir() -> Path:
    """``$MOBENCH_RESULTS`` or ``./results``."""
    return Path(os.environ.get("MOBENCH_RESULTS", "results"))

"""The export cache under concurrency: one complete, checked artifact however many processes ask.

``find_or_export`` is how a sweep gets its artifact. An artifact that is in place and matches
its manifest (same options, same sha256) is reused. Otherwise the process takes the artifact's
lock file (``OUT/.<stem>.lock``, POSIX ``flock``), looks again and exports only if it is still
missing: processes that start the same export at once take turns, the first exports and the
others wait, then reuse what it wrote. The export itself is built aside and moved into place
with its manifest only when complete (``pipeline._commit``), so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from .config import Artifact, ExportConfig


@contextlib.contextmanager
def artifact_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed) until the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock; exports then race as before
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits while another process exports this artifact
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def find_or_export(
    model: str, fmt: str, config: ExportConfig, progress: Callable[[str], None] | None = None
) -> Artifact:
    """The checked artifact of ``model`` in ``fmt`` with ``config``: reused when in place, else exported once."""
    from ..models import model_info
    from .pipeline import _checkpoint_sha, _target_paths, export, find_artifact

    if not config.force:
        found = find_artifact(model, fmt, config)
        if found is not None:
            return found
    stem, _folder, _target = _target_paths(model_info(model).name, fmt, config, _checkpoint_sha(config))
    with artifact_lock(Path(config.out_dir) / f".{stem}.lock"):
        if not config.force:
            found = find_artifact(model, fmt, config)  # exported by another process while this one waited
            if found is not None:
                return found
        return export(model, fmt, config, progress=progress)

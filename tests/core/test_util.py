"""Atomic writes and hashing helpers shared by the exporters, the store's exports and the iPhone host."""

from __future__ import annotations

import os

import pytest

from mobench.core.errors import UsageError
from mobench.core.util import atomic_dir, atomic_write_text, sha256_path


def test_atomic_write_has_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        p = atomic_write_text(tmp_path / "a" / "f.json", "{}")
    finally:
        os.umask(old)
    assert p.read_text() == "{}"
    assert oct(p.stat().st_mode & 0o777) == oct(0o644)
    assert [x.name for x in p.parent.iterdir()] == ["f.json"]  # no temp file left


def test_atomic_write_failure_leaves_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    target.write_text("old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["f.txt"]


def test_atomic_dir_commits_or_leaves_nothing(tmp_path):
    target = tmp_path / "pkg"
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "half").write_text("x")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with atomic_dir(target) as tmp:
        (tmp / "whole").write_text("x")
    assert (target / "whole").exists()
    with pytest.raises(UsageError, match="--force"):
        with atomic_dir(target) as tmp:
            (tmp / "other").write_text("y")
    assert sorted(p.name for p in target.iterdir()) == ["whole"]
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]


def test_sha256_of_folder_depends_on_names_and_contents(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    (a / "x").write_text("1")
    h1 = sha256_path(a)
    (a / "x").write_text("2")
    h2 = sha256_path(a)
    (a / "x").rename(a / "y")
    h3 = sha256_path(a)
    assert len({h1, h2, h3}) == 3


def test_safe_filename_is_the_one_spelling():
    from mobench.core.util import safe_filename

    assert safe_filename("timm:resnet18") == "timm-resnet18"
    assert safe_filename("torchvision:shufflenet_v2_x1_0") == "torchvision-shufflenet_v2_x1_0"
    assert safe_filename("timm:a/b c") == "timm-a-b-c"
    assert safe_filename("..:") == "model"
    long = safe_filename("timm:" + "x" * 300)
    assert len(long) == 180 and long[0].isalnum() and long[-1].isalnum()

"""``manifest.json``: one versioned schema for every exported artifact.

Layout of an artifact folder ``OUT/<stem>/``::

    <stem>.onnx | <stem>.mlpackage | <stem>.pte     (one file per registered format)
    manifest.json        {"schema_version": 1, "artifacts": {"onnx": {...}, "coreml": {...}}}

The format names and recipe names the schema accepts come from the exporter
registry (:func:`manifest_schema`); each entry records its recipe with the
parity rule it was checked against (``recipe.parity_rule``).

The manifest is updated read-modify-write under a lock file and written
atomically, so an ONNX and a Core ML export of the same stem can run at once.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..core.errors import SchemaError, UsageError
from ..core.util import atomic_write_json
from .config import FORMATS, all_recipes, export_format

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".manifest.lock"

_STR_OR_NULL = {"type": ["string", "null"]}
_INT_OR_NULL = {"type": ["integer", "null"]}

# JSON schema of one artifact entry (validated on write and on read).
ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    # the recipe: ``recipe.name``; manifests written before the recipe entry existed say ``precision``
    "anyOf": [{"required": ["recipe"]}, {"required": ["precision"]}],
    "required": [
        "model",
        "family",
        "variant",
        "format",
        "stem",
        "file",
        "size_bytes",
        "reparameterizable",
        "reparameterized",
        "weights",
        "input",
        "output",
        "target",
        "opset",
        "resolution",
        "params",
        "macs",
        "op_histogram",
        "structural_check",
        "parity",
        "sha256",
        "versions",
        "created",
        "export_seconds",
        "exporter",
        "config",
    ],
    "properties": {
        "model": {"type": "string"},
        "family": {"type": "string"},
        "variant": {"type": "string"},
        "kind": {"type": "string"},
        "source": {"type": "string"},
        "paper_name": _STR_OR_NULL,
        "format": {"type": "string"},
        "stem": {"type": "string"},
        "file": {"type": "string"},
        "size_bytes": {"type": "integer", "minimum": 0},
        "reparameterizable": {"type": "boolean"},
        "reparameterized": {"type": "boolean"},
        "weights": {
            "type": "object",
            "required": ["source"],
            "properties": {
                "source": {"enum": ["random", "checkpoint"]},
                "seed": _INT_OR_NULL,
                "bn_calibrated": {"type": "boolean"},
                "checkpoint": _STR_OR_NULL,
                "checkpoint_sha256": _STR_OR_NULL,
            },
        },
        "input": {
            "type": "object",
            "required": ["name", "shape", "dtype", "layout", "kind", "preprocessing"],
            "properties": {
                "name": {"type": "string"},
                "shape": {"type": "array", "items": {"type": "integer"}},
                "dtype": {"type": "string"},
                "layout": {"type": "string"},
                "kind": {"enum": ["tensor", "image"]},
                "preprocessing": {"type": "object"},
            },
        },
        "output": {
            "type": "object",
            "required": ["name", "shape", "dtype"],
            "properties": {
                "name": {"type": "string"},
                "shape": {"type": "array", "items": {"type": "integer"}},
                "dtype": {"type": "string"},
            },
        },
        "precision": {"type": "string"},  # manifests written before the recipe entry named the recipe
        "recipe": {"type": "object", "required": ["name", "parity_rule"]},
        "target": _STR_OR_NULL,
        "opset": _INT_OR_NULL,
        "resolution": {"type": "integer"},
        "params": {"type": "integer", "minimum": 0},
        "macs": _INT_OR_NULL,
        "op_histogram": {"type": "object", "additionalProperties": {"type": "integer"}},
        "structural_check": {
            "type": "object",
            "required": ["status", "checks"],
            "properties": {
                "status": {"enum": ["passed", "failed"]},
                "checks": {"type": "array", "items": {"type": "object", "required": ["name", "passed"]}},
            },
        },
        "parity": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"enum": ["passed", "failed", "skipped"]},
                "reason": _STR_OR_NULL,
            },
        },
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "versions": {"type": "object"},
        "created": {"type": "string"},
        "export_seconds": {"type": "number"},
        "exporter": {"type": "object"},
        "config": {"type": "object"},
    },
}

MANIFEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schema_version", "artifacts"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "artifacts": {
            "type": "object",
            "propertyNames": {"type": "string"},
            "additionalProperties": ENTRY_SCHEMA,
        },
    },
}


def manifest_schema() -> dict[str, Any]:
    """:data:`MANIFEST_SCHEMA` with the format and recipe enums filled from the exporter registry."""
    import copy

    schema = copy.deepcopy(MANIFEST_SCHEMA)
    formats = FORMATS.names()
    arts = schema["properties"]["artifacts"]
    arts["propertyNames"] = {"enum": formats}
    props = arts["additionalProperties"]["properties"]
    props["format"] = {"enum": formats}
    props["precision"] = {"enum": all_recipes()}
    props["recipe"] = {
        "type": "object",
        "required": ["name", "parity_rule"],
        "properties": {"name": {"enum": all_recipes()}},
    }
    return schema


def manifest_recipe(entry: dict[str, Any]) -> str | None:
    """The recipe an artifact was exported with (``recipe.name``; older manifests: ``precision``)."""
    rec = entry.get("recipe")
    if isinstance(rec, dict) and rec.get("name"):
        return str(rec["name"])
    if isinstance(rec, str):
        return rec
    return entry.get("precision")


def validate_manifest(doc: Any, where: str | os.PathLike = "manifest") -> dict:
    """Raise :class:`SchemaError` (first problem, with its JSON path) unless ``doc`` is a valid manifest."""
    import jsonschema

    if isinstance(doc, dict) and isinstance(doc.get("schema_version"), int) and doc["schema_version"] > SCHEMA_VERSION:
        raise SchemaError(
            f"{where} has manifest schema version {doc['schema_version']}, newer than this mobench "
            f"understands ({SCHEMA_VERSION}); upgrade mobench"
        )
    validator = jsonschema.Draft202012Validator(manifest_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        path = "/".join(str(p) for p in err.absolute_path) or "(root)"
        raise SchemaError(f"{where} is not a valid mobench export manifest: {path}: {err.message}")
    return doc


def manifest_path(folder: str | os.PathLike) -> Path:
    return Path(folder) / MANIFEST_NAME


def read_manifest(path: str | os.PathLike) -> dict:
    """Read and validate a manifest, given its file or the artifact folder that holds it."""
    p = Path(path)
    exts = {export_format(f).extension for f in FORMATS.names()}
    if p.is_dir() or p.suffix in exts:
        p = manifest_path(p if p.is_dir() and p.suffix not in exts else p.parent)
    if not p.is_file():
        raise UsageError(f"no export manifest at {p}; export the model first (`mobench export --model NAME`)")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"{p} is not readable JSON ({exc}); re-export with --force") from exc
    return validate_manifest(doc, p)


def read_manifest_or_empty(folder: Path) -> dict:
    p = manifest_path(folder)
    if not p.exists():
        return {"schema_version": SCHEMA_VERSION, "artifacts": {}}
    return read_manifest(p)


@contextlib.contextmanager
def manifest_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder``'s manifest (POSIX ``flock``; a no-op where unavailable)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def write_entry(folder: Path, fmt: str, entry: dict) -> dict:
    """Set ``artifacts[fmt] = entry`` in ``folder``'s manifest (caller holds the lock). Returns the document."""
    doc = read_manifest_or_empty(folder)
    doc["artifacts"][fmt] = entry
    validate_manifest(doc, manifest_path(folder))
    atomic_write_json(manifest_path(folder), doc)
    return doc

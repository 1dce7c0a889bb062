"""Copy the host's JSON Schemas and golden examples into ios_harness/Tests/Schemas.

The one source is mobench/devices/iphone/schema/ (the host validates every plan
and report against it). `swift test` reads the copy, so ios_harness/ builds and
tests on its own, e.g. copied out of the repository. Run this after changing a
schema or a golden example; tests/ios_harness/test_harness_schema_copy.py fails
while the copy differs from its source:

    python ios_harness/tools/sync_schemas.py          # rewrite the copy
    python ios_harness/tools/sync_schemas.py --check  # exit 1 if out of date
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HARNESS = Path(__file__).resolve().parent.parent  # ios_harness/
SOURCE = HARNESS.parent / "mobench" / "devices" / "iphone" / "schema"
COPY = HARNESS / "Tests" / "Schemas"


def expected() -> dict[str, bytes]:
    """Relative path -> bytes of every file the copy must hold."""
    files = sorted(SOURCE.glob("*.schema.json")) + sorted((SOURCE / "examples").glob("*.json"))
    return {p.relative_to(SOURCE).as_posix(): p.read_bytes() for p in files}


def actual() -> dict[str, bytes]:
    if not COPY.is_dir():
        return {}
    return {p.relative_to(COPY).as_posix(): p.read_bytes() for p in sorted(COPY.rglob("*.json"))}


def differences() -> list[str]:
    want, have = expected(), actual()
    out = [f"missing {name}" for name in sorted(want.keys() - have.keys())]
    out += [f"not in the source {name}" for name in sorted(have.keys() - want.keys())]
    out += [f"differs {name}" for name in sorted(want.keys() & have.keys()) if want[name] != have[name]]
    return out


def write() -> None:
    tmp = COPY.with_name(COPY.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for name, data in expected().items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_bytes(data)
    shutil.rmtree(COPY, ignore_errors=True)
    tmp.rename(COPY)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the copy differs from the source")
    args = parser.parse_args(argv)
    if not SOURCE.is_dir():
        print(f"sync_schemas: {SOURCE} not found (run inside the mobench repository)", file=sys.stderr)
        return 2
    if args.check:
        diff = differences()
        for line in diff:
            print(f"ios_harness/Tests/Schemas: {line}", file=sys.stderr)
        if diff:
            print("run: python ios_harness/tools/sync_schemas.py", file=sys.stderr)
        return 1 if diff else 0
    write()
    print(f"wrote {len(expected())} files to {COPY.relative_to(HARNESS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

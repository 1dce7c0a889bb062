"""Files the XCTest target reads, checked against the host's own code.

The bundled tiny model's plan is schema-valid and its sha256 is what the host
computes; the folder hash pinned in CoreLogicTests.swift is what
`mobench.core.util.sha256_path` gives for the same tree, in the same file order.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest

# Importable under any pytest import mode (prepend, importlib) and layout.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness_checks as hc  # noqa: E402
from mobench.core.util import sha256_path

FIXTURES = hc.HARNESS / "Tests" / "Fixtures"


def test_fixture_plan_is_valid_and_hashes_match():
    plan = json.loads((FIXTURES / "plan.json").read_text())
    jsonschema.Draft202012Validator(hc.load_schema("plan"), format_checker=jsonschema.FormatChecker()).validate(plan)
    present = [run for run in plan["runs"] if (FIXTURES / run["file"]).exists()]
    missing = [run for run in plan["runs"] if not (FIXTURES / run["file"]).exists()]
    assert len(present) == 2 and len(missing) == 1   # the XCTest expects one failed entry
    for run in present:
        assert run["sha256"] == sha256_path(FIXTURES / run["file"])


@pytest.mark.slow  # importing coremltools takes ~15 s here
def test_fixture_model_has_the_image_input_the_xctest_expects():
    from coremltools.models.utils import load_spec

    spec = load_spec(str(FIXTURES / "tiny_cnn.mlpackage"))
    (feature,) = spec.description.input
    assert feature.name == "image"
    assert feature.type.WhichOneof("Type") == "imageType"
    assert (feature.type.imageType.height, feature.type.imageType.width) == (64, 64)


def test_swift_folder_hash_constant_matches_the_host(tmp_path):
    source = (hc.CORE_TESTS / "CoreLogicTests.swift").read_text()
    body = source[source.index("func testFolderHashMatchesTheHost"):]
    files = dict(re.findall(r'"([^"]+)": "([^"]*)",', body.split("]", 1)[0]))
    assert files == {"Manifest.json": "{}", "a.txt": "first", "a/b.bin": "second", "Data/x": "third"}
    root = tmp_path / "m.mlpackage"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    expected_order = re.search(r"\[(\"Data/x\"[^\]]*)\]", body).group(1)
    host_order = sorted(p for p in root.rglob("*") if p.is_file())
    assert [p.relative_to(root).as_posix() for p in host_order] == json.loads(f"[{expected_order}]")
    pinned = re.search(r'"([0-9a-f]{64})"', body).group(1)
    assert pinned == sha256_path(root)

"""Static checks of the Swift harness sources, beside what the compiler checks.

``swift build`` / ``swift test`` compile and test the package on Linux
(test_harness_swift_e2e.py, ``make test``); these checks cover what a Linux
compiler cannot see: the Apple-only files (the Core ML engine and the SwiftUI
shell, never compiled here), the Xcode project, and the rules of the product
(the Codable mirror of the schemas, monotonic timing, layering).

Each checker returns a list of problems (empty = fine) so the tests can also
feed it deliberately broken input and assert that it notices.

- ``syntax_problems``: tree-sitter-swift ERROR / MISSING nodes.
- ``swift_types``: top-level structs / enums with their stored properties,
  ``CodingKeys`` and raw values, read from the syntax tree.
- ``codable_problems``: Codable mirror vs JSON Schema, recursively.
- ``import_problems`` / ``clock_problems``: Core stays free of UIKit/SwiftUI and
  of wall-clock timing.
- ``project_problems``: project.pbxproj (parsed with the ``pbxproj`` package)
  lists every Swift file in the right target's Sources phase, iOS 16.0 everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from mobench.devices.remote.schema import load_schema

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "ios_harness"
SOURCES = HARNESS / "Sources"
CORE = SOURCES / "Core"
APP = SOURCES / "App"
TESTS = HARNESS / "Tests" / "MobenchHarnessTests"     # Xcode only: Core ML on the device
CORE_TESTS = HARNESS / "Tests" / "CoreTests"          # swift test (and the Xcode test target)
# Folders of Swift sources compiled into the Xcode project's targets (Sources/CLI
# is the package's command-line executable, not part of the app).
APP_SOURCE_DIRS = ("Sources/App", "Sources/Core")
TEST_SOURCE_DIRS = ("Tests/CoreTests", "Tests/MobenchHarnessTests")
PROJECT = HARNESS / "MobenchHarness.xcodeproj"
SCHEMA_DIR = REPO / "mobench" / "devices" / "iphone" / "schema"


# --------------------------------------------------------------------------- parsing

@lru_cache(maxsize=1)
def _parser():
    import tree_sitter_swift
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_swift.language()))


def parse(source: str):
    return _parser().parse(source.encode("utf-8")).root_node


def syntax_problems(source: str) -> list[str]:
    """ERROR and MISSING nodes, as ``line:col: kind 'text'``."""
    problems: list[str] = []

    def walk(node) -> None:
        if node.type == "ERROR" or node.is_missing:
            kind = "missing" if node.is_missing else "error"
            text = node.text.decode("utf-8", "replace")[:40].replace("\n", " ")
            problems.append(f"{node.start_point[0] + 1}:{node.start_point[1] + 1}: {kind} {node.type} {text!r}")
            return
        for child in node.children:
            walk(child)

    walk(parse(source))
    return problems


# --------------------------------------------------------------------------- types

@dataclass
class SwiftProperty:
    name: str
    type: str                     # as written, e.g. "[[Double]]", "MemoryUsage?"

    @property
    def optional(self) -> bool:
        return self.type.endswith("?")

    @property
    def base(self) -> str:
        """The element type with optionals and array brackets removed."""
        t = self.type.rstrip("?")
        while t.startswith("[") and t.endswith("]") and ":" not in t:
            t = t[1:-1].rstrip("?")
        return t

    @property
    def array_depth(self) -> int:
        t, depth = self.type.rstrip("?"), 0
        while t.startswith("[") and t.endswith("]") and ":" not in t:
            t, depth = t[1:-1].rstrip("?"), depth + 1
        return depth


@dataclass
class SwiftType:
    name: str
    kind: str                                           # struct | enum | class
    properties: dict[str, SwiftProperty] = field(default_factory=dict)
    coding_keys: dict[str, str] | None = None           # case -> raw value
    enum_cases: dict[str, str] = field(default_factory=dict)  # for String enums: case -> raw value
    inherits: list[str] = field(default_factory=list)
    functions: dict[str, str] = field(default_factory=dict)   # name -> source text
    file: str = ""


def _text(node) -> str:
    return node.text.decode("utf-8")


def _enum_cases(body) -> dict[str, str]:
    """``case a, b = "x"`` entries of an enum body: case name -> raw value."""
    cases: dict[str, str] = {}
    for entry in body.children:
        if entry.type != "enum_entry":
            continue
        current = None
        children = entry.children
        for i, child in enumerate(children):
            if child.type == "simple_identifier":
                current = _text(child)
                cases[current] = current
            elif child.type == "line_string_literal" and current is not None and i > 0 and children[i - 1].type == "=":
                parts = [c for c in child.children if c.type == "line_str_text"]
                cases[current] = "".join(_text(p) for p in parts)
    return cases


def _is_static(decl) -> bool:
    return any(c.type == "modifiers" and "static" in _text(c).split() for c in decl.children)


def _declaration(node, file: str) -> SwiftType | None:
    keyword = next((c.type for c in node.children if c.type in ("struct", "enum", "class", "actor")), None)
    name_node = next((c for c in node.children if c.type == "type_identifier"), None)
    if keyword is None or name_node is None:
        return None
    swift_type = SwiftType(name=_text(name_node), kind=keyword, file=file)
    swift_type.inherits = [
        _text(c).strip() for c in node.children if c.type == "inheritance_specifier"
    ]
    body = next((c for c in node.children if c.type in ("class_body", "enum_class_body")), None)
    if body is None:
        return swift_type
    if keyword == "enum":
        swift_type.enum_cases = _enum_cases(body)
    for member in body.children:
        if member.type == "property_declaration" and not _is_static(member):
            if any(c.type == "computed_property" for c in member.children):
                continue
            pattern = next((c for c in member.children if c.type == "pattern"), None)
            annotation = next((c for c in member.children if c.type == "type_annotation"), None)
            if pattern is None or annotation is None:
                continue
            type_text = "".join(_text(c) for c in annotation.children if c.type != ":").strip()
            prop_name = _text(pattern).strip()
            swift_type.properties[prop_name] = SwiftProperty(prop_name, type_text)
        elif member.type == "class_declaration":
            nested = _declaration(member, file)
            if nested is not None and nested.name == "CodingKeys":
                nested_body = next(c for c in member.children if c.type == "enum_class_body")
                swift_type.coding_keys = _enum_cases(nested_body)
        elif member.type == "function_declaration":
            fname = next((c for c in member.children if c.type == "simple_identifier"), None)
            if fname is not None:
                swift_type.functions[_text(fname)] = _text(member)
    return swift_type


def swift_types(sources: dict[str, str]) -> dict[str, SwiftType]:
    """Top-level types of the given ``{file name: source}``."""
    types: dict[str, SwiftType] = {}
    for file, source in sources.items():
        for node in parse(source).children:
            if node.type == "class_declaration":
                declared = _declaration(node, file)
                if declared is not None:
                    types[declared.name] = declared
    return types


def read_sources(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.rglob("*.swift"))}


def swift_files(root: Path = HARNESS) -> list[Path]:
    """The harness's own Swift files (not SwiftPM's build folder, not Package.swift, not the
    stand-in SDK modules of tools/apple-typecheck, which swiftc compiles, nor its symlinks)."""
    skip = {".build", ".swiftpm", "apple-typecheck"}
    return sorted(p for p in root.rglob("*.swift")
                  if not skip.intersection(p.relative_to(root).parts) and p.name != "Package.swift")


# --------------------------------------------------------------------------- schema

def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"external $ref {ref} is not supported by the checker")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _nullable(node: dict[str, Any], root: dict[str, Any]) -> bool:
    node = _resolve(node, root)
    types = node.get("type")
    if types == "null" or (isinstance(types, list) and "null" in types):
        return True
    return any(_nullable(option, root) for option in node.get("oneOf", []) + node.get("anyOf", []))


def _non_null(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of a ``oneOf`` [X, null], else the node itself."""
    node = _resolve(node, root)
    options = [o for o in node.get("oneOf", []) if _resolve(o, root).get("type") != "null"]
    return _resolve(options[0], root) if len(options) == 1 else node


def codable_problems(
    types: dict[str, SwiftType],
    type_name: str,
    schema_node: dict[str, Any],
    schema_root: dict[str, Any],
    where: str,
    _seen: set[tuple[str, str]] | None = None,
) -> list[str]:
    """Compare one Codable struct with one schema object, then recurse into nested objects."""
    seen = _seen if _seen is not None else set()
    if (type_name, where) in seen:
        return []
    seen.add((type_name, where))
    problems: list[str] = []
    node = _non_null(schema_node, schema_root)
    swift = types.get(type_name)
    if swift is None:
        return [f"{where}: Swift type {type_name} not found"]
    if swift.coding_keys is None:
        return [f"{where}: {type_name} has no explicit CodingKeys enum"]
    properties = node.get("properties", {})
    keys = set(swift.coding_keys.values())
    for missing in sorted(set(properties) - keys):
        problems.append(f"{where}: schema key '{missing}' has no CodingKeys case in {type_name}")
    for extra in sorted(keys - set(properties)):
        problems.append(f"{where}: {type_name} CodingKeys raw value '{extra}' is not in the schema")
    stored = set(swift.properties)
    cases = set(swift.coding_keys)
    for name in sorted(cases - stored):
        problems.append(f"{where}: {type_name}.CodingKeys.{name} has no stored property")
    for name in sorted(stored - cases):
        problems.append(f"{where}: {type_name}.{name} is stored but not in CodingKeys")

    required = set(node.get("required", []))
    has_custom_encode = "encode" in swift.functions
    for case, raw in swift.coding_keys.items():
        if raw not in properties or case not in swift.properties:
            continue
        prop = swift.properties[case]
        prop_schema = _resolve(properties[raw], schema_root)
        nullable = _nullable(prop_schema, schema_root)
        if raw in required and not nullable and prop.optional:
            problems.append(f"{where}.{raw}: required and never null, but {type_name}.{case} is optional")
        if raw in required and nullable and prop.optional:
            encode = swift.functions.get("encode", "")
            if not has_custom_encode or f"encodeIfPresent({case}," in encode:
                problems.append(
                    f"{where}.{raw}: required (may be null) but {type_name} would omit it when nil; "
                    "write it with encode(_:forKey:) in a custom encode(to:)"
                )
        # Walk down arrays as deep as the Swift type goes.
        inner = _non_null(prop_schema, schema_root)
        for _ in range(prop.array_depth):
            if inner.get("type") != "array" or "items" not in inner:
                problems.append(f"{where}.{raw}: Swift type {prop.type} is an array, the schema's is not")
                break
            inner = _non_null(inner["items"], schema_root)
        if "properties" in inner:
            problems += codable_problems(types, prop.base, inner, schema_root, f"{where}.{raw}", seen)
        elif "enum" in inner:
            enum_type = types.get(prop.base)
            if enum_type is None or enum_type.kind != "enum":
                problems.append(f"{where}.{raw}: schema enum {inner['enum']} is mirrored by {prop.type}, not a Swift enum")
            else:
                swift_values = set(enum_type.enum_cases.values())
                if swift_values != set(inner["enum"]):
                    problems.append(
                        f"{where}.{raw}: {prop.base} raw values {sorted(swift_values)} != schema enum {sorted(inner['enum'])}"
                    )
    return problems


# (Swift root type, schema file, JSON pointer inside it or "")
ROOTS = (
    ("Plan", "plan", ""),
    ("Report", "report", ""),
    ("RunLine", "report", "$defs/run_line"),
    ("ProgressMarker", "progress", ""),
)


def all_codable_problems(types: dict[str, SwiftType], schemas: dict[str, dict] | None = None) -> list[str]:
    problems: list[str] = []
    for type_name, schema_name, pointer in ROOTS:
        root = schemas[schema_name] if schemas else load_schema(schema_name)
        node: Any = root
        for part in filter(None, pointer.split("/")):
            node = node[part]
        problems += codable_problems(types, type_name, node, root, f"{schema_name}.schema.json#{pointer}")
    return problems


# --------------------------------------------------------------------------- imports and clocks

FORBIDDEN_CORE_IMPORTS = {"UIKit", "SwiftUI", "AppKit"}


def import_problems(sources: dict[str, str]) -> list[str]:
    problems = []
    for file, source in sources.items():
        for node in parse(source).children:
            if node.type == "import_declaration":
                module = _text(node).split()[-1]
                if module.split(".")[0] in FORBIDDEN_CORE_IMPORTS:
                    problems.append(f"{file}: imports {module}")
    return problems


def _code_without_comments_and_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of identifier-bearing leaves outside comments and string literals."""
    leaves: list[tuple[int, str]] = []

    def walk(node) -> None:
        if node.type in ("comment", "multiline_comment", "line_string_literal", "multi_line_string_literal"):
            return
        if node.child_count == 0:
            leaves.append((node.start_point[0] + 1, _text(node)))
        for child in node.children:
            walk(child)

    walk(parse(source))
    return leaves


WALL_CLOCK_IDENTIFIERS = {"Date", "CFAbsoluteTimeGetCurrent", "timeIntervalSince", "timeIntervalSinceNow",
                          "timeIntervalSince1970", "timeIntervalSinceReferenceDate", "gettimeofday"}
MONOTONIC_IDENTIFIERS = {"ContinuousClock", "SuspendingClock", "mach_absolute_time"}


def clock_problems(sources: dict[str, str], wall_clock_file: str = "WallClock.swift",
                   timing_file: str = "Timing.swift") -> list[str]:
    """Durations only from a monotonic clock: ``Date()`` nowhere; wall-clock
    identifiers only in ``wall_clock_file`` (timestamps), and none of the
    interval APIs even there; ``timing_file`` uses a monotonic clock."""
    problems = []
    for file, source in sources.items():
        if re.search(r"\bDate\s*\(\s*\)", _strip_comments(source)):
            problems.append(f"{file}: uses Date()")
        for line, token in _code_without_comments_and_strings(source):
            if token in WALL_CLOCK_IDENTIFIERS and file != wall_clock_file:
                problems.append(f"{file}:{line}: wall-clock API {token} outside {wall_clock_file}")
            if file == wall_clock_file and token in WALL_CLOCK_IDENTIFIERS - {"Date"}:
                problems.append(f"{file}:{line}: computes an interval from the wall clock ({token})")
    timing = sources.get(timing_file)
    if timing is None:
        problems.append(f"{timing_file} not found")
    elif not {t for _, t in _code_without_comments_and_strings(timing)} & MONOTONIC_IDENTIFIERS:
        problems.append(f"{timing_file}: uses none of {sorted(MONOTONIC_IDENTIFIERS)}")
    return problems


def _strip_comments(source: str) -> str:
    out, last = [], 0
    def walk(node):
        nonlocal last
        if node.type in ("comment", "multiline_comment"):
            out.append(source.encode()[last:node.start_byte].decode())
            last = node.end_byte
            return
        for c in node.children:
            walk(c)
    walk(parse(source))
    out.append(source.encode()[last:].decode())
    return "".join(out)


# --------------------------------------------------------------------------- project

def project_problems(pbxproj_path: Path, harness_root: Path = HARNESS) -> list[str]:
    """Every Swift file in the right target's Sources phase; iOS 16.0; the
    settings the README relies on."""
    from pbxproj import XcodeProject

    project = XcodeProject.load(str(pbxproj_path))
    objects = project.objects
    problems: list[str] = []

    # Full path (relative to ios_harness/) of every file reference, via the group tree.
    paths: dict[str, str] = {}

    def walk(group_id: str, prefix: str) -> None:
        group = objects[group_id]
        for child_id in group.children:
            child = objects[child_id]
            tree = child["sourceTree"]
            path = child["path"] if "path" in child else None
            if tree == "SOURCE_ROOT":
                full = path or ""
            elif tree == "<group>":
                full = f"{prefix}/{path}".strip("/") if path else prefix
            else:
                continue
            if child.isa == "PBXGroup":
                walk(child_id, full)
            elif child.isa == "PBXFileReference":
                paths[child_id] = full

    root = objects[project.rootObject]
    walk(root.mainGroup, "")

    targets = {t.name: t for t in objects.get_targets()}
    for name in ("MobenchHarness", "MobenchHarnessTests"):
        if name not in targets:
            problems.append(f"target {name} missing")
    if problems:
        return problems

    def phase_files(target, isa: str) -> set[str]:
        files = set()
        for phase_id in target.buildPhases:
            phase = objects[phase_id]
            if phase.isa == isa:
                for build_file_id in phase.files:
                    ref = objects[build_file_id].fileRef
                    files.add(paths.get(ref, f"<unresolved {ref}>"))
        return files

    app_sources = phase_files(targets["MobenchHarness"], "PBXSourcesBuildPhase")
    test_sources = phase_files(targets["MobenchHarnessTests"], "PBXSourcesBuildPhase")
    on_disk = {p.relative_to(harness_root).as_posix() for p in swift_files(harness_root)
               if p.relative_to(harness_root).as_posix().startswith(tuple(d + "/" for d in APP_SOURCE_DIRS + TEST_SOURCE_DIRS))}
    for rel in sorted(on_disk):
        expected, other = (
            (test_sources, app_sources) if rel.startswith("Tests/") else (app_sources, test_sources)
        )
        target_name = "MobenchHarnessTests" if rel.startswith("Tests/") else "MobenchHarness"
        if rel not in expected:
            problems.append(f"{rel} is not in the Sources phase of {target_name}")
        if rel in other:
            problems.append(f"{rel} is compiled into the wrong target too")
    for rel in sorted((app_sources | test_sources) - on_disk):
        problems.append(f"project compiles {rel}, which does not exist")

    for config in objects.get_objects_in_section("XCBuildConfiguration"):
        settings = config.buildSettings
        target = settings["IPHONEOS_DEPLOYMENT_TARGET"] if "IPHONEOS_DEPLOYMENT_TARGET" in settings else None
        if target is not None and str(target) != "16.0":
            problems.append(f"configuration {config.name} ({config.get_id()}) has deployment target {target}")
    for name, target in targets.items():
        for config_id in objects[target.buildConfigurationList].buildConfigurations:
            config = objects[config_id]
            settings = config.buildSettings
            # Set per target or inherited from the project; both must be 16.0.
            value = settings["IPHONEOS_DEPLOYMENT_TARGET"] if "IPHONEOS_DEPLOYMENT_TARGET" in settings else None
            if value is None:
                project_configs = objects[root.buildConfigurationList].buildConfigurations
                inherited = [objects[c] for c in project_configs if objects[c].name == config.name]
                value = (inherited[0].buildSettings["IPHONEOS_DEPLOYMENT_TARGET"]
                         if inherited and "IPHONEOS_DEPLOYMENT_TARGET" in inherited[0].buildSettings else None)
            if str(value) != "16.0":
                problems.append(f"{name} {config.name}: IPHONEOS_DEPLOYMENT_TARGET is {value}, not 16.0")
    return problems


# --------------------------------------------------------------------------- compiler-only errors

_OPERATOR_EXPRESSIONS = {
    "ternary_expression", "nil_coalescing_expression", "additive_expression", "multiplicative_expression",
    "comparison_expression", "equality_expression", "conjunction_expression", "disjunction_expression",
    "range_expression", "infix_expression", "bitwise_operation", "check_expression",
}


def lint_problems(source: str) -> list[str]:
    """Errors swiftc reports but a parser accepts, found in past edits of this code:

    - ``try`` / ``await`` to the right of a non-assignment operator
      (``c ? try a() : try b()``, ``x ?? try f()``);
    - tuple destructuring in an optional binding (``if let (a, b) = f()``).
    """
    problems: list[str] = []

    def walk(node) -> None:
        if node.type in ("try_expression", "await_expression") and node.parent is not None \
                and node.parent.type in _OPERATOR_EXPRESSIONS:
            first = next((c for c in node.parent.children if c.is_named), None)
            if first is not None and first.id != node.id:
                line = node.start_point[0] + 1
                problems.append(f"{line}: '{node.children[0].type}' to the right of an operator in {node.parent.type}")
        for child in node.children:
            walk(child)

    walk(parse(source))
    code = _strip_comments(source)
    for match in re.finditer(r"\b(if|guard|while)\s+(let|var)\s*\(", code):
        line = code[: match.start()].count("\n") + 1
        problems.append(f"{line}: tuple destructuring in an optional binding")
    return problems


# --------------------------------------------------------------------------- availability

# APIs newer than the iOS 16.0 deployment target, and the version that has them.
NEWER_THAN_DEPLOYMENT = {
    "MLComputePlan": (17, 4),
    "MLModelStructure": (17, 4),
    "MLComputeDevice": (17, 0),
    "MLCPUComputeDevice": (17, 0),
    "MLGPUComputeDevice": (17, 0),
    "MLNeuralEngineComputeDevice": (17, 0),
}
_IOS_VERSION = re.compile(r"iOS\s+(\d+)(?:\.(\d+))?")


def _declared_ios(text: str) -> tuple[int, int] | None:
    match = _IOS_VERSION.search(text)
    return (int(match.group(1)), int(match.group(2) or 0)) if match else None


def availability_problems(source: str) -> list[str]:
    """Every use of an API newer than iOS 16 sits in a declaration marked
    ``@available(iOS X...)`` or after a ``guard #available(iOS X...)`` / inside an
    ``if #available(iOS X...)`` of the same function, with X at least the API's version."""
    problems: list[str] = []

    def guarded(node, needed: tuple[int, int]) -> bool:
        current = node
        while current.parent is not None:
            parent = current.parent
            if parent.type in ("function_declaration", "class_declaration", "property_declaration"):
                for child in parent.children:
                    if child.type == "modifiers":
                        for attribute in (c for c in child.children if c.type == "attribute"):
                            version = _declared_ios(_text(attribute)) if "@available" in _text(attribute) else None
                            if version and version >= needed:
                                return True
            if parent.type == "if_statement":
                condition = next((c for c in parent.children if c.type == "availability_condition"), None)
                version = _declared_ios(_text(condition)) if condition is not None else None
                if version and version >= needed and current.start_byte > condition.end_byte:
                    return True
            if parent.type == "statements":
                # an earlier `guard #available(...) else { ... }` in the same block
                for sibling in parent.children:
                    if sibling.start_byte >= current.start_byte:
                        break
                    if sibling.type == "guard_statement":
                        condition = next((c for c in sibling.children if c.type == "availability_condition"), None)
                        version = _declared_ios(_text(condition)) if condition is not None else None
                        if version and version >= needed:
                            return True
            current = parent
        return False

    def walk(node) -> None:
        if node.type == "type_identifier" or node.type == "simple_identifier":
            name = _text(node)
            needed = NEWER_THAN_DEPLOYMENT.get(name)
            if needed and not guarded(node, needed):
                problems.append(f"{node.start_point[0] + 1}: {name} needs iOS {needed[0]}.{needed[1]} "
                                "but is used outside @available / #available")
        for child in node.children:
            walk(child)

    walk(parse(source))
    return problems

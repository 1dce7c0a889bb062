"""The transports: the exact command lines they run, and how tool failures become next steps.

pymobiledevice3 and devicectl are replaced by a fake executable (a small Python
script) that records its argv and fails the way the real tools do; the folder
transport is exercised for real.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
import textwrap

import pytest

from mobench.core.errors import DeviceError, UsageError
from mobench.devices.iphone.constants import BUNDLE_ID
from mobench.devices.iphone.transport import (
    DevicectlTransport,
    FolderTransport,
    Pymobiledevice3Transport,
    next_step,
    run_tool,
)

FAKE = textwrap.dedent("""\
    #!{python}
    import json, os, sys, time
    argv = sys.argv[1:]
    with open(os.environ["FAKE_LOG"], "a") as fh:
        fh.write(json.dumps(argv) + "\\n")
    mode = os.environ.get("FAKE_MODE", "ok")
    if mode == "sleep":
        time.sleep(30)
    if mode != "ok":
        print({{
            "locked": "ERROR: The operation couldn't be completed. The device is locked. (com.apple.dt.CoreDeviceError error 4000.)",
            "devmode": "pymobiledevice3.exceptions.DeveloperModeIsNotEnabledError",
            "missing": "pymobiledevice3.exceptions.AfcFileNotFoundError: ObjectNotFound /Documents/progress.json",
            "noapp": "pymobiledevice3.exceptions.AppNotInstalledError: No app with bundle ID org.mobench.harness is installed.",
            "nodevice": "pymobiledevice3.exceptions.NoDeviceConnectedError",
            "weird": "Segmentation fault",
        }}[mode], file=sys.stderr)
        sys.exit(1)
    if "--json-output" in argv:
        out = argv[argv.index("--json-output") + 1]
        with open(out, "w") as fh:
            json.dump({{"result": {{"files": [{{"relativePath": "plan.json"}},
                                              {{"relativePath": "tiny.mlpackage/Manifest.json"}}]}}}}, fh)
    if "pull" in argv or ("copy" in argv and "from" in argv):
        dest = argv[-1] if "pull" in argv else argv[argv.index("--destination") + 1]
        with open(dest, "w") as fh:
            fh.write('{{"pulled": true}}')
""")


@pytest.fixture
def fake_tool(tmp_path, monkeypatch):
    """A fake `xcrun` and `pymobiledevice3` on PATH; returns (bin dir, read_calls)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("xcrun", "pymobiledevice3"):
        p = bindir / name
        p.write_text(FAKE.format(python=sys.executable))
        p.chmod(p.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_LOG", str(log))
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")

    def calls():
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return bindir, calls


# -- pymobiledevice3 -----------------------------------------------------------------------------
def test_pymobiledevice3_command_lines(tmp_path):
    t = Pymobiledevice3Transport("00008101-000A", executable=["pmd3"])
    f = tmp_path / "plan.json"
    f.write_text("{}")
    pkg = tmp_path / "tiny.mlpackage"
    pkg.mkdir()
    assert t.argv_push(f, "plan.json") == [
        "pmd3",
        "apps",
        "push",
        "--documents",
        "--udid",
        "00008101-000A",
        BUNDLE_ID,
        str(f),
        "/Documents/plan.json",
    ]
    # a folder goes *into* /Documents under its own name (AFC push semantics)
    assert t.argv_push(pkg, "tiny.mlpackage")[-2:] == [str(pkg), "/Documents"]
    assert t.argv_pull("report.json", tmp_path / "r.json") == [
        "pmd3",
        "apps",
        "pull",
        "--documents",
        "--udid",
        "00008101-000A",
        BUNDLE_ID,
        "/Documents/report.json",
        str(tmp_path / "r.json"),
    ]
    assert t.argv_remove("progress.json")[-2:] == [BUNDLE_ID, "/Documents/progress.json"]
    argv = t.argv_launch(BUNDLE_ID, ["--plan", "my plan.json", "--autostart"], {"MOBENCH_X": "1"})
    assert argv[:5] == ["pmd3", "developer", "dvt", "launch", "--kill-existing"]
    assert argv[argv.index("--env") + 1] == "MOBENCH_X=1"
    assert shlex.split(argv[-1]) == [BUNDLE_ID, "--plan", "my plan.json", "--autostart"]  # one quoted string
    core = Pymobiledevice3Transport("U", executable=["pmd3"], launcher="core-device").argv_launch(
        BUNDLE_ID, ["--plan", "my plan.json"], {"K": "V"}
    )
    assert core == [
        "pmd3",
        "developer",
        "core-device",
        "launch-application",
        "--kill-existing",
        "--env",
        "K=V",
        BUNDLE_ID,
        "--plan",
        "my plan.json",
    ]  # the command has no --udid option
    assert Pymobiledevice3Transport("U", launcher="core-device").launch_env() == {"PYMOBILEDEVICE3_UDID": "U"}
    assert Pymobiledevice3Transport("U").launch_env() is None
    with pytest.raises(UsageError, match="unknown launcher"):
        Pymobiledevice3Transport("U", launcher="ssh")
    tunneled = Pymobiledevice3Transport("U", tunnel="U", executable=["pmd3"]).argv_launch(BUNDLE_ID, [])
    assert tunneled[5:7] == ["--tunnel", "U"]
    assert "--udid" not in Pymobiledevice3Transport(None, executable=["pmd3"]).argv_pull("a.json", tmp_path / "a")


def test_pymobiledevice3_push_pull_through_the_tool(tmp_path, fake_tool):
    _, calls = fake_tool
    t = Pymobiledevice3Transport("U1")  # finds the fake `pymobiledevice3` on PATH
    f = tmp_path / "plan.json"
    f.write_text("{}")
    t.push(f, "plan.json")
    assert t.pull("report.json", tmp_path / "report.json") is True
    assert json.loads((tmp_path / "report.json").read_text()) == {"pulled": True}
    assert [c[:2] for c in calls()] == [["apps", "push"], ["apps", "pull"]]


@pytest.mark.parametrize(
    "mode, advice",
    [
        ("devmode", "enable Developer Mode"),
        ("noapp", "install the harness app"),
        ("nodevice", "connect the iPhone by USB"),
        ("locked", "unlock the iPhone"),
    ],
)
def test_pymobiledevice3_errors_say_what_to_do(mode, advice, tmp_path, fake_tool, monkeypatch):
    monkeypatch.setenv("FAKE_MODE", mode)
    t = Pymobiledevice3Transport("U1")
    with pytest.raises(DeviceError) as err:
        t.launch(BUNDLE_ID, ["--autostart"])
    msg = str(err.value)
    assert msg.startswith("launching the harness app failed:")
    assert "next step: " + advice in msg
    assert "\n" not in msg


def test_missing_remote_file_is_not_an_error(tmp_path, fake_tool, monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "missing")
    t = Pymobiledevice3Transport("U1")
    assert t.pull("progress.json", tmp_path / "p.json") is False
    t.remove("report.json")  # removing what is not there is fine


def test_unknown_failure_keeps_the_tools_message(tmp_path, fake_tool, monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "weird")
    f = tmp_path / "plan.json"
    f.write_text("{}")
    with pytest.raises(DeviceError, match=r"copying plan.json to the iPhone failed: Segmentation fault$"):
        Pymobiledevice3Transport("U1").push(f, "plan.json")


def test_tool_timeout_and_missing_tool(tmp_path, fake_tool, monkeypatch):
    bindir, _ = fake_tool
    monkeypatch.setenv("FAKE_MODE", "sleep")
    with pytest.raises(DeviceError, match="no answer within 1 s; unlock the iPhone"):
        run_tool([str(bindir / "xcrun"), "devicectl"], timeout=1, what="listing devices")
    with pytest.raises(DeviceError, match="'no-such-tool-xyz' not found; install it"):
        run_tool(["no-such-tool-xyz"], timeout=5, what="x")


# -- devicectl --------------------------------------------------------------------------------------
def test_devicectl_command_lines(tmp_path):
    t = DevicectlTransport("UDID-1")
    container = [
        "--device",
        "UDID-1",
        "--user",
        "mobile",
        "--domain-type",
        "appDataContainer",
        "--domain-identifier",
        BUNDLE_ID,
    ]
    assert t.argv_push(tmp_path / "plan.json", "plan.json") == [
        "xcrun",
        "devicectl",
        "device",
        "copy",
        "to",
        *container,
        "--source",
        str(tmp_path / "plan.json"),
        "--destination",
        "Documents/plan.json",
    ]
    assert t.argv_pull("report.json", tmp_path / "r.json") == [
        "xcrun",
        "devicectl",
        "device",
        "copy",
        "from",
        *container,
        "--source",
        "Documents/report.json",
        "--destination",
        str(tmp_path / "r.json"),
    ]
    assert t.argv_launch(BUNDLE_ID, ["--plan", "plan.json", "--autostart"], {"A": "1"}) == [
        "xcrun",
        "devicectl",
        "device",
        "process",
        "launch",
        "--terminate-existing",
        "--device",
        "UDID-1",
        "--environment-variables",
        '{"A": "1"}',
        BUNDLE_ID,
        "--",
        "--plan",
        "plan.json",
        "--autostart",
    ]
    with pytest.raises(UsageError, match="pass --udid"):
        DevicectlTransport("")


def test_devicectl_pull_copies_from_the_app_container(tmp_path, fake_tool):
    _, calls = fake_tool
    t = DevicectlTransport("UDID-1")
    assert t.pull("report.json", tmp_path / "r.json") is True
    assert calls()[0][:4] == ["devicectl", "device", "copy", "from"]


def test_devicectl_locked_device(tmp_path, fake_tool, monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "locked")
    with pytest.raises(DeviceError) as err:
        DevicectlTransport("UDID-1").launch(BUNDLE_ID, [])
    assert "The device is locked" in str(err.value)
    assert "next step: unlock the iPhone" in str(err.value)


@pytest.mark.parametrize(
    "text, advice",
    [
        ("PairingDialogResponsePendingError", "tap 'Trust'"),
        ("InvalidServiceError: com.apple.instruments", "mount the developer disk image"),
        ("TunneldConnectionError", "start the iOS 17 tunnel"),
        ("ConnectionFailedToUsbmuxdError", "start usbmuxd"),
        ("all good", ""),
    ],
)
def test_next_step_table(text, advice):
    assert next_step(text).startswith(advice)


# -- folder -----------------------------------------------------------------------------------------
def test_folder_transport_files_and_names(tmp_path):
    t = FolderTransport(tmp_path / "docs", [sys.executable, "-c", "pass"])
    pkg = tmp_path / "m.mlpackage"
    (pkg / "Data").mkdir(parents=True)
    (pkg / "Data" / "w.bin").write_bytes(b"abc")
    t.push(pkg, "m.mlpackage")
    t.push(pkg, "m.mlpackage")  # replacing works
    assert sorted(p.name for p in t.documents.iterdir()) == ["m.mlpackage"]
    assert t.pull("missing.json", tmp_path / "x") is False
    for bad in ("../escape.json", "/etc/passwd", "a\\b", ""):
        with pytest.raises(UsageError):
            t.push(pkg, bad)
    t.remove("m.mlpackage")
    assert list(t.documents.iterdir()) == []


def test_folder_transport_runs_the_app_command(tmp_path):
    docs = tmp_path / "docs"
    code = "import os,sys; print('args', sys.argv[1:], os.environ['MOBENCH_DOCUMENTS'] == os.getcwd())"
    t = FolderTransport(docs, [sys.executable, "-c", code])
    t.launch(BUNDLE_ID, ["--plan", "plan.json"])
    t._proc.wait(timeout=60)
    assert t.app_exited() is True
    assert "args ['--plan', 'plan.json'] True" in t.console()
    t.close()


def test_bundle_id_option_and_environment(tmp_path, monkeypatch):
    t = Pymobiledevice3Transport("U", executable=["pmd3"], bundle_id="com.example.mybench")
    assert "com.example.mybench" in t.argv_pull("report.json", tmp_path / "r")
    monkeypatch.setenv("MOBENCH_IOS_BUNDLE_ID", "com.example.env")
    d = DevicectlTransport("U")
    argv = d.argv_push(tmp_path / "p", "plan.json")
    assert argv[argv.index("--domain-identifier") + 1] == "com.example.env"
    assert FolderTransport(tmp_path / "d", ["x"]).bundle_id == "com.example.env"
    with pytest.raises(UsageError, match="bad bundle id"):
        Pymobiledevice3Transport("U", executable=["pmd3"], bundle_id="evil; rm -rf /")


def test_stand_in_hashes_folders_like_the_host(tmp_path):
    """Path-component order (a/b.bin before a.txt), as PROTOCOL.md and sha256_path define it."""
    import importlib.util

    from iphone_helpers import STANDIN

    from mobench.core.util import sha256_path

    spec = importlib.util.spec_from_file_location("standin_mod", STANDIN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    pkg = tmp_path / "m.mlpackage"
    (pkg / "a").mkdir(parents=True)
    (pkg / "a" / "b.bin").write_bytes(b"1")
    (pkg / "a.txt").write_bytes(b"2")
    (pkg / "a-b").write_bytes(b"3")
    assert mod._sha256_tree(pkg) == sha256_path(pkg)


def test_pymobiledevice3_log_lines_are_reduced_to_the_error(tmp_path, monkeypatch):
    """pymobiledevice3 logs `DATE HOST logger[PID] ERROR msg` then an INFO hint; the message keeps the ERROR."""
    script = tmp_path / "pmd3"
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        "sys.stderr.write('2026-11-21 23:39:08 vm pymobiledevice3.__main__[19963] ERROR Failed to connect "
        "to usbmuxd socket. Make sure it\\'s running.\\n2026-11-21 23:39:08 vm pymobiledevice3.__main__[19963] "
        "INFO Run again with -v for the full traceback\\n'); sys.exit(1)\n"
    )
    script.chmod(0o755)
    with pytest.raises(DeviceError) as err:
        Pymobiledevice3Transport("U", executable=[str(script)]).remove("report.json")
    assert str(err.value) == (
        "removing report.json on the iPhone failed: Failed to connect to usbmuxd socket. Make sure it's running.; "
        "next step: start usbmuxd (Linux: `sudo systemctl start usbmuxd`) and connect the iPhone by USB"
    )

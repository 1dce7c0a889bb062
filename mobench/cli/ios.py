"""``mobench ios``: the harness app on an iPhone (devices, plan, run, serve, ingest)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import typer

from ..core.jsonout import dumps
from ..exporters.config import format_recipes
from .options import (
    DbOption,
    InferencesOption,
    InputDataOption,
    InputOption,
    ModelsOption,
    PresetOption,
    ProtocolOption,
    RoundsOption,
    TrimOption,
    WarmupOption,
)

HELP = """Time Core ML models on an iPhone with the mobench harness app (ios_harness/, see its README).

The host exports Core ML models (image input) into a PLAN folder; the app runs the plan (compute units and protocol are plan fields) and writes a REPORT with every raw sample; the host validates the report against the schema and stores its runs (device `iphone`) in the results store.

Examples:

  mobench ios doctor

  mobench ios devices

  mobench ios plan --model mobileone_s0 --compute-units all,ane -o plans/s0

  mobench ios run --model mobileone_s0 --compute-units all,ane --protocol modelbench

  mobench ios run --plan plans/s0 --transport devicectl --udid 00008101-000A1234

  mobench ios serve --plan plans/s0 --host 0.0.0.0 --port 8765

  mobench ios ingest report.json --db results/mobench.sqlite
"""

ios_app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode="rich")

CU_HELP = "Compute units, comma-separated: all, cpu (cpuOnly), gpu (cpuAndGPU), ane (cpuAndNeuralEngine). One run per model and setting."
THERMAL_HELP = "Thermal gate: before each run the app waits up to this many seconds for a nominal or fair thermal state (recorded per run; 0 = no wait)."


def _console(stderr: bool = False):
    from rich.console import Console

    c = Console(stderr=stderr)
    return c if c.is_terminal else Console(stderr=stderr, width=160)


def _config(
    protocol_name: str,
    rounds: int | None,
    inferences: int | None,
    warmup: int | None,
    trim: int | None,
    reload_per_round: bool | None,
):
    from ..core.configs import customize, protocol

    return customize(
        protocol(protocol_name),
        input_kind="image",
        rounds=rounds,
        inferences=inferences,
        warmup=warmup,
        trim=trim,
        reload_per_round=reload_per_round,
    )


def _build_plan(
    models,
    preset,
    compute_units,
    cfg,
    out: Path,
    with_onnx: bool,
    force: bool,
    console,
    thermal_wait: float | None = None,
    recipe: str | None = None,
    inputs: list[str] | None = None,
    input_data: Path | None = None,
):
    from ..workflows.ios_run import make_ios_plan
    from .progress import progress_bar

    with progress_bar(console, transient=True) as bar:
        task = bar.add_task("export", total=None)

        def on_model(name: str, i: int, n: int) -> None:
            bar.update(task, total=n, completed=i, description=f"export {name}")

        result = make_ios_plan(
            models or (),
            preset,
            compute_units,
            cfg,
            out,
            with_onnx=with_onnx,
            force=force,
            thermal_wait=thermal_wait,
            recipe=recipe,
            inputs=inputs,
            input_data=input_data,
            on_export=on_model,
        )
    for model, err in result.skipped.items():
        console.print(f"[yellow]skipped[/] {model}: {err}")
    return result


# -- devices -------------------------------------------------------------------------------
@ios_app.command(
    "devices",
    help="iPhones attached over USB (usbmux): model, iOS, Developer Mode, iOS 17 tunnel, next step.\n\nExample: mobench ios devices --json",
)
def devices_cmd(
    udid: str | None = typer.Option(None, "--udid", help="Only this device."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:

    from rich.table import Table

    from ..devices.iphone.discovery import list_iphones

    phones = list_iphones(udid)
    if as_json:
        typer.echo(dumps([p.to_dict() for p in phones], indent=1))
        return
    console = _console()
    if not phones:
        console.print("no iPhone attached: connect it by USB, unlock it and tap 'Trust'")
        raise typer.Exit(1)
    t = Table(title="iPhones (usbmux)")
    for col in ("udid", "model", "iOS", "paired", "developer mode", "iOS 17 tunnel", "ready", "next step"):
        t.add_column(col, overflow="fold")
    yn = {True: "yes", False: "no", None: "?"}
    for p in phones:
        model = p.model_identifier or "?"
        if p.model_name:
            model += f" ({p.model_name})"
        t.add_row(
            p.udid,
            model,
            p.os_version or "?",
            yn[p.paired],
            yn[p.developer_mode],
            p.tunnel,
            "[green]yes[/]" if p.ready else "[red]no[/]",
            p.next_step,
        )
    console.print(t)


# -- plan ----------------------------------------------------------------------------------
PLAN_HELP = """Export Core ML models (image input) and write a plan folder for the harness app.

The folder (plan.json + one .mlpackage per model) is what `mobench ios run` pushes into the app's Documents and `mobench ios serve` serves. --with-onnx also puts each model's ONNX export next to it (the test suite's stand-in app times those).

Examples:

  mobench ios plan --model mobileone_s0 --compute-units all,ane -o plans/s0

  mobench ios plan --preset mobileone --protocol modelbench -o plans/mobileone

  mobench ios plan -m mobilenet_v3_small --protocol quick --rounds 2 --inferences 5 --with-onnx -o plans/demo
"""


def plan_cmd(
    model: ModelsOption = None,
    preset: PresetOption = None,
    compute_units: str = typer.Option("all", "--compute-units", "-c", help=CU_HELP),
    protocol_name: ProtocolOption = "modelbench",
    rounds: RoundsOption = None,
    inferences: InferencesOption = None,
    warmup: WarmupOption = None,
    trim: TrimOption = None,
    reload_per_round: bool | None = typer.Option(
        None, "--reload-per-round/--no-reload-per-round", help="Override: re-create the model every round."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Plan folder to write."),
    with_onnx: bool = typer.Option(
        False, "--with-onnx", help="Also export ONNX next to each model (for the Python stand-in app)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing plan folder."),
    thermal_wait: float = typer.Option(0.0, "--thermal-wait", min=0, max=3600, help=THERMAL_HELP),
    recipe: str | None = typer.Option(
        None,
        "--recipe",
        "-r",
        help=f"Core ML recipe of the models: {', '.join(format_recipes('coreml'))} (the first is the default; recorded in the plan).",
    ),
    inputs: InputOption = None,
    input_data: InputDataOption = None,
) -> None:
    console = _console()
    cfg = _config(protocol_name, rounds, inferences, warmup, trim, reload_per_round)
    result = _build_plan(
        model,
        preset,
        compute_units,
        cfg,
        out,
        with_onnx,
        force,
        console,
        thermal_wait,
        recipe=recipe,
        inputs=inputs,
        input_data=input_data,
    )
    p = result.plan
    console.print(
        f"plan {p['plan_id']}: {len(p['runs'])} run(s) of {len({r['model'] for r in p['runs']})} model(s), "
        f"protocol {p['protocol']['name']} ({p['protocol']['rounds']} x {p['protocol']['inferences']}) -> {out}"
    )
    console.print(
        f"next: mobench ios run --plan {shlex.quote(str(out))}   (or: mobench ios serve --plan {shlex.quote(str(out))})"
    )


# -- run -----------------------------------------------------------------------------------
RUN_HELP = """Run a plan on an iPhone through the harness app, then validate, store and show the results.

Pushes the models and plan.json into the app's Documents, launches the app with `--plan plan.json --autostart`, follows Documents/progress.json, pulls report.json (kept under results/ios_reports/), validates it against the schema and stores every run (device `iphone`). Give either --plan DIR (from `mobench ios plan`) or models (a plan is made first).

Transports: pymobiledevice3 (Linux/macOS/Windows over USB: house_arrest + DVT launch; iOS 17+ needs Developer Mode, and 17.0-17.3 `sudo pymobiledevice3 remote tunneld`), devicectl (a Mac with Xcode 15+; needs --udid), folder (a local folder as Documents and --app-command as the app: the Swift command-line harness built from ios_harness/ with `swift build`, or the Python stand-in). Runs of the command-line harness's known-cost engine are stored as device `harness-known-cost`, never `iphone`.

Examples:

  mobench ios run --model mobileone_s0 --compute-units all,ane

  mobench ios run --plan plans/s0 --udid 00008101-000A1234 --timeout 1800

  mobench ios run --plan plans/s0 --transport devicectl --udid 00008101-000A1234

  mobench ios run --plan plans/demo --transport folder --documents /tmp/app-docs --app-command "ios_harness/.build/debug/mobench-harness --engine known-cost"
  (the harness package's executable without a phone: its runs are stored as device harness-known-cost, never iphone)
"""


def run_cmd(
    plan: Path | None = typer.Option(
        None, "--plan", help="Plan folder from `mobench ios plan` (else one is made from --model/--preset)."
    ),
    model: ModelsOption = None,
    preset: PresetOption = None,
    compute_units: str = typer.Option("all", "--compute-units", "-c", help=CU_HELP),
    protocol_name: ProtocolOption = "modelbench",
    rounds: RoundsOption = None,
    inferences: InferencesOption = None,
    thermal_wait: float = typer.Option(
        0.0, "--thermal-wait", min=0, max=3600, help=THERMAL_HELP + " Only when a plan is made here."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Where to write the new plan (default results/ios_plans/<time>)."
    ),
    udid: str | None = typer.Option(
        None, "--udid", help="Device UDID (default: the first USB device; required for devicectl)."
    ),
    transport: str = typer.Option("pymobiledevice3", "--transport", "-t", help="pymobiledevice3, devicectl or folder."),
    tunnel: str | None = typer.Option(
        None, "--tunnel", help="pymobiledevice3: launch through tunneld for this UDID (iOS 17.0-17.3)."
    ),
    launcher: str = typer.Option(
        "dvt",
        "--launcher",
        help="pymobiledevice3: launch with dvt (DVT process control) or core-device (iOS 17+ CoreDevice).",
    ),
    documents: Path | None = typer.Option(
        None, "--documents", help="folder transport: the folder standing in for the app's Documents."
    ),
    app_command: str | None = typer.Option(
        None, "--app-command", help="folder transport: the command that plays the app."
    ),
    bundle_id: str | None = typer.Option(
        None,
        "--bundle-id",
        envvar="MOBENCH_IOS_BUNDLE_ID",
        help="The harness app's bundle id if you re-signed it under your own team (default org.mobench.harness).",
    ),
    timeout: float = typer.Option(3600.0, "--timeout", help="Seconds to wait for the app to finish the plan."),
    poll: float = typer.Option(2.0, "--poll", help="Seconds between progress checks."),
    db: DbOption = None,
    force: bool = typer.Option(
        False,
        "--force",
        help="Time again runs the store already holds (same model, artifact, protocol, compute units).",
    ),
    inputs: InputOption = None,
    input_data: InputDataOption = None,
) -> None:
    from ..workflows.ios_run import IosRunConfig, run_ios
    from .progress import progress_bar

    console = _console()
    cfg = IosRunConfig(
        plan=plan,
        models=tuple(model or ()),
        preset=preset,
        compute_units=compute_units,
        config=_config(protocol_name, rounds, inferences, None, None, None) if plan is None else None,
        thermal_wait=thermal_wait,
        out=out,
        udid=udid,
        transport=transport,
        tunnel=tunnel,
        launcher=launcher,
        documents=documents,
        app_command=tuple(shlex.split(app_command)) if app_command else (),
        bundle_id=bundle_id,
        timeout=timeout,
        poll=poll,
        db=db,
        force=force,
        inputs=tuple(inputs or ()),
        input_data=input_data,
    )
    with progress_bar(console, transient=True) as bar:
        task = bar.add_task("export", total=None)

        def on_export(name: str, i: int, n: int) -> None:
            bar.update(task, total=n, completed=i, description=f"export {name}")

        def on_file(name: str) -> None:
            bar.update(task, total=None, completed=0, description=f"pushing {name}")

        def on_progress(p: dict[str, Any]) -> None:
            cur = f"{p['current']} round {p.get('round')}" if p.get("current") else p["state"]
            bar.update(task, total=p["total"], completed=p["done"], description=cur)

        res = run_ios(cfg, on_export=on_export, on_file=on_file, on_progress=on_progress)
    for name, err in res.skipped.items():
        console.print(f"[yellow]skipped[/] {name}: {err}")
    if res.reused:
        console.print(
            f"{len(res.reused)} run(s) already stored for the same model, artifact, protocol and compute "
            f"units (run ids {', '.join(str(i) for _, i in res.reused)}); pass --force to time them again"
        )
    if res.session is None:
        return
    result = res.session
    ingest = result.ingest
    assert ingest is not None  # run_session stores the report unless told not to
    from ..devices.iphone.constants import IPHONE
    from ..results import locate

    engine = result.report.get("engine") or IPHONE.default_engine
    _print_runs(
        console,
        ingest.records,
        title=f"{result.report['device']['model_identifier']} {result.report['device']['os_name']} "
        f"{result.report['device']['os_version']} - plan {result.report['plan_id']}"
        + (
            ""
            if engine == IPHONE.default_engine
            else f" - engine {engine}, stored as device {ingest.records[0].device}"
        ),
    )
    s = ingest.summary()
    console.print(
        f"stored {s['stored']} run(s) ({s['duplicates']} already stored) in {locate(db)}; "
        f"report kept at {result.report_path}"
    )
    if all(r.status != "ok" for r in ingest.records):
        raise typer.Exit(1)


def _print_runs(console, records, *, title: str) -> None:
    from rich.table import Table

    from ..core.configs import BenchConfig
    from ..core.statistics import compute_stats

    def f(v, nd=3):
        return "-" if v is None else f"{v:.{nd}f}"

    t = Table(title=title)
    for col in (
        "model",
        "compute units",
        "n",
        "min",
        "median",
        "trim. mean",
        "compile",
        "load",
        "1st",
        "peak MB",
        "thermal",
        "status",
    ):
        t.add_column(col, justify="left" if col in ("model", "compute units", "thermal", "status") else "right")
    for rec in records:
        st = compute_stats(rec.samples_ms, BenchConfig.from_dict(rec.config)) if rec.status == "ok" else {}
        thermal = sorted({r.get("thermal_state_after") for r in rec.rounds_info if r.get("thermal_state_after")})
        t.add_row(
            rec.model,
            rec.device_info.get("compute_units", "?"),
            str(rec.n_samples),
            f(st.get("min_ms")),
            f(st.get("median_ms")),
            f(st.get("trimmed_mean_ms")),
            f(rec.compile_ms, 1),
            f(min(rec.load_ms), 1) if rec.load_ms else "-",
            f(rec.first_inference_ms[0], 2) if rec.first_inference_ms else "-",
            f((rec.memory or {}).get("peak_footprint_mb"), 1),
            ",".join(thermal) or "-",
            "[green]ok[/]" if rec.status == "ok" else f"[red]failed[/]: {rec.error}",
        )
    console.print(t)


# -- serve ---------------------------------------------------------------------------------
SERVE_HELP = """Serve a plan to the harness app over HTTP (network mode) and store the reports it posts.

Binds to 127.0.0.1 unless --host says otherwise (use --host 0.0.0.0 for a phone on the same Wi-Fi). Prints the URL and a fresh per-session token; start the app with `--server URL --token TOKEN --autostart` (or type both into the app). Every request needs the token; bad or unknown-version reports get a 4xx and nothing is stored; a report posted twice is stored once. Ctrl-C stops the server.

Examples:

  mobench ios serve --plan plans/s0

  mobench ios serve --plan plans/s0 --host 0.0.0.0 --port 8765 --max-reports 1
"""


def serve_cmd(
    plan: Path = typer.Option(..., "--plan", help="Plan folder from `mobench ios plan`."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default loopback only)."),
    port: int = typer.Option(8765, "--port", help="TCP port (0 = any free port)."),
    token: str | None = typer.Option(
        None, "--token", help="Session token (default: a fresh random one; at least 16 characters)."
    ),
    db: DbOption = None,
    max_reports: int = typer.Option(
        0, "--max-reports", help="Stop after this many stored reports (0 = run until Ctrl-C)."
    ),
) -> None:
    import threading

    from ..devices.remote.server import make_server

    console = _console()
    done = threading.Event()

    def on_event(kind: str, data: dict[str, Any]) -> None:
        if kind == "progress":
            rnd = f" round {data['round']}" if data.get("round") is not None and data.get("current") else ""
            console.print(f"progress {data['done']}/{data['total']} {data.get('current') or data['state']}{rnd}")
        elif kind == "report":
            console.print(
                f"[green]report[/] plan {data['plan_id']}: {data['stored']} run(s) stored, {data['duplicates']} duplicate(s)"
            )
            if max_reports and len(server.state.reports) >= max_reports:
                done.set()
        elif kind in ("rejected", "error"):
            console.print(f"[red]{kind}[/] {data.get('error')}")
        elif kind == "dropped":
            console.print(
                f"[yellow]dropped[/] client {data.get('client')} disconnected mid-request ({data.get('error')})"
            )

    server = make_server(plan, host=host, port=port, token=token, db=db, on_event=on_event)
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(
            f"[yellow]warning:[/] listening on {host}: anyone on this network can reach the server (the token still guards every request)"
        )
    url = server.url()
    console.print(f"serving plan {server.state.plan['plan_id']} ({len(server.state.listing)} files) at {url}")
    console.print(f"token: {server.state.token}")
    console.print(f"app launch arguments: --server {url} --token {server.state.token} --autostart")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        server.shutdown()
        server.server_close()


# -- ingest --------------------------------------------------------------------------------
INGEST_HELP = """Validate and store reports collected by hand or from a device farm.

Accepts report.json files and console/farm logs holding the app's one-JSON-line-per-run output. Invalid, truncated or unknown-version reports are rejected with the reason and nothing of them is stored; a report ingested twice is stored once.

Examples:

  mobench ios ingest report.json

  mobench ios ingest devicefarm.log --db results/farm.sqlite

  mobench ios ingest report.json --plan plans/s0/plan.json
"""


def ingest_cmd(
    reports: list[Path] = typer.Argument(..., help="report.json files or logs with the app's run lines."),
    db: DbOption = None,
    plan: Path | None = typer.Option(
        None, "--plan", help="Check the report against this plan.json (plan id, files, hashes)."
    ),
) -> None:
    from ..devices.remote.ingest import ingest_report, read_report_file
    from ..devices.remote.schema import read_json, validate_plan

    console = _console()
    plan_obj = None
    if plan is not None:
        p = plan / "plan.json" if plan.is_dir() else plan
        plan_obj = validate_plan(read_json(p), str(p))
    # validate every file first: one bad file stores nothing
    loaded = [(path, read_report_file(path)) for path in reports]
    from ..devices.remote.schema import validate_report

    for path, rep in loaded:
        validate_report(rep, plan_obj, what=str(path))
    for path, rep in loaded:
        res = ingest_report(rep, db, plan=plan_obj, source=str(path))
        dev = rep["device"]
        _print_runs(
            console,
            res.records,
            title=f"{path}: {dev['model_identifier']} {dev['os_name']} {dev['os_version']} - plan {rep['plan_id']}",
        )
        console.print(f"{path}: stored {len(res.stored)} run(s), {len(res.duplicates)} already stored")


# -- doctor / build --------------------------------------------------------------------------
DOCTOR_HELP = """Check, in order, everything a first iPhone run needs, with the one command that fixes each missing step.

Host OS; Xcode and its command-line tools (macOS); pymobiledevice3; a connected, paired phone; Developer Mode; the developer disk image; the iOS 17 tunnel; a signing team (macOS); the harness app installed. Exits 1 while a step is missing.

Examples:

  mobench ios doctor

  mobench ios doctor --json --udid 00008101-000A1234
"""


def doctor_cmd(
    udid: str | None = typer.Option(None, "--udid", help="Check this phone (default: the first one attached)."),
    bundle_id: str | None = typer.Option(
        None,
        "--bundle-id",
        help="The harness app's bundle id (default: $MOBENCH_IOS_BUNDLE_ID or org.mobench.harness).",
    ),
    team: str | None = typer.Option(None, "--team", help="The signing team you will build with ($MOBENCH_IOS_TEAM)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of one line per step."),
) -> None:
    from ..devices.iphone.doctor import DoctorEnv, StepStatus, diagnose

    env = DoctorEnv()
    if team:
        env.team = team
    report = diagnose(env, udid=udid, bundle_id=bundle_id)
    if as_json:
        typer.echo(dumps(report.to_dict(), indent=1))
    else:
        console = _console()
        colors = {
            StepStatus.OK: "green",
            StepStatus.MISSING: "red",
            StepStatus.NOT_APPLICABLE: "dim",
            StepStatus.UNCHECKED: "yellow",
        }
        for step in report.steps:
            fix = f"  ->  {step.fix}" if step.blocks and step.fix else ""
            status = f"[{colors[step.status]}]{step.status.value:<9}[/]"
            console.print(f"{status} {step.name:<21} {step.detail}{fix}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


BUILD_HELP = """Build the harness app for the connected iPhone and install it (macOS with Xcode 16+).

Runs `xcodebuild` (automatic signing with your team, provisioning updates allowed) for the phone that `xcrun devicectl list devices` reports, then `xcrun devicectl device install app`. The team ID is in Xcode > Settings > Accounts (a free Apple ID works; its apps expire after 7 days).

Examples:

  mobench ios build --team ABCDE12345

  mobench ios build --team ABCDE12345 --udid 00008101-000A1234 --bundle-id org.mobench.harness.yourname
"""


def build_cmd(
    team: str | None = typer.Option(None, "--team", help="Apple team ID for signing (or $MOBENCH_IOS_TEAM)."),
    udid: str | None = typer.Option(None, "--udid", help="The phone (default: the connected one devicectl lists)."),
    bundle_id: str | None = typer.Option(
        None, "--bundle-id", help="Sign under this bundle id (default: $MOBENCH_IOS_BUNDLE_ID or org.mobench.harness)."
    ),
    configuration: str = typer.Option("Release", "--configuration", help="Xcode build configuration."),
    harness: Path | None = typer.Option(None, "--harness", help="The ios_harness/ folder (default: this checkout's)."),
    derived_data: Path | None = typer.Option(
        None, "--derived-data", help="xcodebuild's -derivedDataPath (default: ios_harness/build)."
    ),
    install: bool = typer.Option(True, "--install/--no-install", help="Install on the phone after building."),
) -> None:
    from ..devices.iphone.build import build_and_install

    console = _console()
    result = build_and_install(
        team=team,
        udid=udid,
        harness_dir=harness,
        derived_data=derived_data,
        configuration=configuration,
        bundle_id=bundle_id,
        install=install,
        on_step=lambda msg: console.print(msg, highlight=False),
    )
    console.print(
        f"{'installed' if result.installed else 'built'} {result.app_path} for {result.udid}", highlight=False
    )


def register(app: typer.Typer) -> None:
    ios_app.command("plan", help=PLAN_HELP)(plan_cmd)
    ios_app.command("run", help=RUN_HELP)(run_cmd)
    ios_app.command("serve", help=SERVE_HELP)(serve_cmd)
    ios_app.command("ingest", help=INGEST_HELP)(ingest_cmd)
    ios_app.command("doctor", help=DOCTOR_HELP)(doctor_cmd)
    ios_app.command("build", help=BUILD_HELP)(build_cmd)
    app.add_typer(ios_app, name="ios")

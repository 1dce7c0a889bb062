"""Is this machine fit to time on? A look at the host before a sweep, as pyperf's ``system show``.

Each check gives a :class:`Finding`: ``ok``, ``warn`` (with the command that fixes it
where there is one) or ``unknown`` (the OS does not say here, e.g. a container without
cpufreq: said, never guessed). Checked:

* **governor**: the CPU frequency governor of every CPU (Linux
  ``/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor``); anything but
  ``performance`` lets the clock follow the load. macOS has no governor to set.
* **turbo**: turbo/boost (Linux ``intel_pstate/no_turbo`` or ``cpufreq/boost``); on,
  the clock depends on temperature and on how many cores are busy.
* **load**: the 1-minute load average against the logical CPUs (``/proc/loadavg``,
  macOS ``sysctl vm.loadavg``), and the busiest other processes (psutil, sampled over
  :data:`SAMPLE_S`).
* **throttling**: Linux ``thermal_throttle/*_throttle_count`` rising while sampled;
  macOS ``pmset -g therm`` (``CPU_Speed_Limit`` below 100).
* **memory**: pressure stall information (``/proc/pressure/memory``, ``some avg10``),
  else the share of memory available (``/proc/meminfo``); macOS
  ``sysctl kern.memorystatus_vm_pressure_level`` (1 normal, 2 warn, 4 critical).

The parsers take text (what the file or command printed), so they are tested on
captured outputs; :func:`check_host` reads the live system. Written here because
pyperf's checks are Linux-only internals, not a library interface.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

OK, WARN, UNKNOWN = "ok", "warn", "unknown"
#: Seconds over which CPU use of other processes and throttle counters are sampled.
SAMPLE_S = 0.3
#: Load average per logical CPU above which the machine is called busy.
BUSY_LOAD_PER_CPU = 0.5
#: A process above this CPU share (per cent of one CPU) is named among the busiest.
BUSY_PROCESS_PCT = 10.0
#: Memory pressure (PSI ``some avg10``, per cent) and available share that warn.
MEMORY_PSI_PCT = 10.0
MEMORY_AVAILABLE_MIN = 0.10

GOVERNOR_FIX = "sudo cpupower frequency-set -g performance"
NO_TURBO_FIX = "echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/no_turbo"
BOOST_FIX = "echo 0 | sudo tee /sys/devices/system/cpu/cpufreq/boost"


@dataclass(frozen=True)
class Finding:
    """One check's result: ``status`` ok | warn | unknown, a short ``message``, the ``fix`` command if any."""

    check: str
    status: str
    message: str
    fix: str | None = None

    def text(self) -> str:
        return self.message + (f" (fix: {self.fix})" if self.fix else "")


@dataclass
class HostCheck:
    """All findings about the host, in a fixed order of checks."""

    platform: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.status == WARN]

    @property
    def unknown(self) -> list[Finding]:
        return [f for f in self.findings if f.status == UNKNOWN]

    def line(self) -> str:
        """One line for the start of a sweep: the warnings with their fixes, or that the host looks fit."""
        unknown = ", ".join(f.check for f in self.unknown)
        tail = f" ({unknown} not known here)" if unknown else ""
        if self.warnings:
            return "host: " + "; ".join(f.text() for f in self.warnings) + tail
        return "host: no warnings" + tail

    def to_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "line": self.line(), "findings": [asdict(f) for f in self.findings]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HostCheck:
        return cls(str(d.get("platform", "")), [Finding(**f) for f in d.get("findings") or []])


# -- parsers (text in, Finding out) ----------------------------------------------------


def parse_governors(texts: list[str] | None) -> Finding:
    """``scaling_governor`` contents of every CPU (``None`` or empty: no cpufreq here)."""
    govs = sorted({t.strip() for t in texts or [] if t.strip()})
    if not govs:
        return Finding("governor", UNKNOWN, "CPU governor unknown (no cpufreq: a container or VM?)")
    if govs == ["performance"]:
        return Finding("governor", OK, "governor performance")
    return Finding("governor", WARN, f"CPU governor {'/'.join(govs)}, not performance", GOVERNOR_FIX)


def parse_turbo(no_turbo: str | None, boost: str | None) -> Finding:
    """``intel_pstate/no_turbo`` (1 = turbo off) or ``cpufreq/boost`` (1 = boost on); ``None`` if absent."""
    if no_turbo is not None and no_turbo.strip() in ("0", "1"):
        if no_turbo.strip() == "1":
            return Finding("turbo", OK, "turbo off")
        return Finding("turbo", WARN, "turbo on (clock depends on temperature)", NO_TURBO_FIX)
    if boost is not None and boost.strip() in ("0", "1"):
        if boost.strip() == "0":
            return Finding("turbo", OK, "boost off")
        return Finding("turbo", WARN, "CPU boost on (clock depends on temperature)", BOOST_FIX)
    return Finding("turbo", UNKNOWN, "turbo state unknown (not exposed here)")


def parse_loadavg(text: str | None) -> float | None:
    """The 1-minute load from ``/proc/loadavg`` (``0.52 0.58 0.59 1/467 12345``) or macOS
    ``sysctl -n vm.loadavg`` (``{ 1.52 1.61 1.71 }``)."""
    if not text:
        return None
    parts = text.replace("{", " ").replace("}", " ").split()
    try:
        return float(parts[0])
    except (IndexError, ValueError):
        return None


def load_finding(load1: float | None, cpus: int, busiest: list[tuple[str, float]]) -> Finding:
    """The load check from the 1-minute load, the logical CPUs and the busiest other processes
    (``(name, cpu %)``, busiest first)."""
    top = ", ".join(f"{n} {p:.0f}%" for n, p in busiest[:3])
    if load1 is None:
        return Finding("load", UNKNOWN, "load average unknown" + (f"; busiest: {top}" if top else ""))
    busy = load1 > BUSY_LOAD_PER_CPU * cpus or bool(busiest)
    msg = f"load {load1:.1f} on {cpus} CPUs" + (f"; busiest: {top}" if top else "")
    if busy:
        return Finding("load", WARN, msg + " (timing beside them measures them too)", None)
    return Finding("load", OK, msg)


def busiest_processes(samples: list[tuple[int, str, float]], own: set[int]) -> list[tuple[str, float]]:
    """``(pid, name, cpu %)`` samples -> ``(name, cpu %)`` of other processes above
    :data:`BUSY_PROCESS_PCT`, busiest first (same names summed, e.g. six pytest workers)."""
    by_name: dict[str, float] = {}
    for pid, name, pct in samples:
        if pid in own or pct is None:
            continue
        by_name[name] = by_name.get(name, 0.0) + float(pct)
    out = [(n, p) for n, p in by_name.items() if p >= BUSY_PROCESS_PCT]
    return sorted(out, key=lambda x: -x[1])


def parse_throttle(before: dict[str, int] | None, after: dict[str, int] | None) -> Finding:
    """Throttle counters (file -> count) read before and after the sample window."""
    if not before or not after:
        return Finding("throttling", UNKNOWN, "thermal throttling unknown (no thermal_throttle counters here)")
    rose = sum(max(0, after.get(k, 0) - v) for k, v in before.items())
    if rose:
        return Finding("throttling", WARN, f"CPU thermally throttled {rose} times during the check (let it cool)")
    return Finding("throttling", OK, "not throttling")


def parse_pmset_therm(text: str | None) -> Finding:
    """macOS ``pmset -g therm``: ``CPU_Speed_Limit = 100`` lines (below 100 = throttled)."""
    if not text:
        return Finding("throttling", UNKNOWN, "thermal state unknown (pmset gave nothing)")
    for line in text.splitlines():
        if "CPU_Speed_Limit" in line:
            try:
                limit = int(line.split("=")[1].strip())
            except (IndexError, ValueError):
                break
            if limit < 100:
                return Finding("throttling", WARN, f"CPU speed limited to {limit}% by the thermal state (let it cool)")
            return Finding("throttling", OK, "not throttling")
    if "No thermal warning level has been recorded" in text or "No CPU power status" in text:
        return Finding("throttling", OK, "no thermal warning recorded")
    return Finding("throttling", UNKNOWN, "thermal state unknown (no CPU_Speed_Limit in pmset -g therm)")


def parse_psi_memory(text: str | None) -> float | None:
    """``some avg10`` (per cent of time stalled on memory) from ``/proc/pressure/memory``."""
    for line in (text or "").splitlines():
        if line.startswith("some"):
            for part in line.split():
                if part.startswith("avg10="):
                    try:
                        return float(part.split("=", 1)[1])
                    except ValueError:
                        return None
    return None


def parse_meminfo(text: str | None) -> float | None:
    """MemAvailable / MemTotal from ``/proc/meminfo``."""
    vals: dict[str, int] = {}
    for line in (text or "").splitlines():
        key, _, rest = line.partition(":")
        if key in ("MemTotal", "MemAvailable"):
            try:
                vals[key] = int(rest.split()[0])
            except (IndexError, ValueError):
                pass
    if vals.get("MemTotal") and "MemAvailable" in vals:
        return vals["MemAvailable"] / vals["MemTotal"]
    return None


def memory_finding(psi_avg10: float | None, available: float | None) -> Finding:
    if psi_avg10 is not None and psi_avg10 > MEMORY_PSI_PCT:
        return Finding("memory", WARN, f"memory pressure: stalled {psi_avg10:.0f}% of the last 10 s (close something)")
    if available is not None and available < MEMORY_AVAILABLE_MIN:
        return Finding("memory", WARN, f"only {100 * available:.0f}% of memory available (close something)")
    if psi_avg10 is None and available is None:
        return Finding("memory", UNKNOWN, "memory pressure unknown")
    detail = f"{100 * available:.0f}% available" if available is not None else f"stalled {psi_avg10:.0f}%"
    return Finding("memory", OK, f"memory ok ({detail})")


def parse_macos_memory_level(text: str | None) -> Finding:
    """``sysctl -n kern.memorystatus_vm_pressure_level``: 1 normal, 2 warning, 4 critical."""
    level = (text or "").strip()
    if level == "1":
        return Finding("memory", OK, "memory pressure normal")
    if level in ("2", "4"):
        word = "warning" if level == "2" else "critical"
        return Finding("memory", WARN, f"memory pressure {word} (close something)")
    return Finding("memory", UNKNOWN, "memory pressure unknown")


# -- live readers ----------------------------------------------------------------------


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _run(cmd: list[str]) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def _throttle_counts(root: Path) -> dict[str, int] | None:
    files = sorted(root.glob("sys/devices/system/cpu/cpu[0-9]*/thermal_throttle/*_throttle_count"))
    out = {}
    for f in files:
        t = _read(f)
        if t is not None and t.strip().isdigit():
            out[str(f)] = int(t.strip())
    return out or None


def _other_processes(sample_s: float) -> list[tuple[str, float]]:
    try:
        import psutil
    except ImportError:  # a runtime dependency; absent only in a broken install
        return []
    procs = []
    for p in psutil.process_iter(["pid", "name"]):
        try:
            p.cpu_percent(None)
            procs.append(p)
        except (psutil.Error, OSError):
            pass
    time.sleep(sample_s)
    samples = []
    for p in procs:
        try:
            samples.append((p.pid, p.info.get("name") or "?", p.cpu_percent(None)))
        except (psutil.Error, OSError):
            pass
    me = psutil.Process()
    own = {me.pid} | {c.pid for c in me.children(recursive=True)}
    return busiest_processes(samples, own)


def linux_findings(root: Path = Path("/"), busiest: list[tuple[str, float]] | None = None) -> list[Finding]:
    """The Linux checks reading files under ``root`` (``/`` live; a fixture folder in tests)."""
    cpu = root / "sys/devices/system/cpu"
    govs = [t for f in sorted(cpu.glob("cpu[0-9]*/cpufreq/scaling_governor")) if (t := _read(f)) is not None]
    before = _throttle_counts(root)
    if busiest is None:
        busiest = _other_processes(SAMPLE_S)
    after = _throttle_counts(root)
    cpus = len(list(cpu.glob("cpu[0-9]*"))) or os.cpu_count() or 1
    return [
        parse_governors(govs),
        parse_turbo(_read(cpu / "intel_pstate/no_turbo"), _read(cpu / "cpufreq/boost")),
        load_finding(parse_loadavg(_read(root / "proc/loadavg")), cpus, busiest),
        parse_throttle(before, after),
        memory_finding(
            parse_psi_memory(_read(root / "proc/pressure/memory")), parse_meminfo(_read(root / "proc/meminfo"))
        ),
    ]


def macos_findings(run=_run, busiest: list[tuple[str, float]] | None = None) -> list[Finding]:
    """The macOS checks; ``run(argv) -> stdout or None`` is replaced by captured outputs in tests."""
    if busiest is None:
        busiest = _other_processes(SAMPLE_S)
    cpus = os.cpu_count() or 1
    ncpu = run(["sysctl", "-n", "hw.logicalcpu"])
    if ncpu and ncpu.strip().isdigit():
        cpus = int(ncpu.strip())
    pmset = run(["pmset", "-g"]) or ""
    low_power = any(line.split()[:2] == ["lowpowermode", "1"] for line in pmset.splitlines() if line.split())
    governor = (
        Finding("governor", WARN, "Low Power Mode on", "sudo pmset -a lowpowermode 0")
        if low_power
        else Finding("governor", OK, "no governor on macOS; Low Power Mode off")
        if pmset
        else Finding("governor", UNKNOWN, "power mode unknown (pmset gave nothing)")
    )
    return [
        governor,
        Finding("turbo", UNKNOWN, "turbo state not exposed on macOS"),
        load_finding(parse_loadavg(run(["sysctl", "-n", "vm.loadavg"])), cpus, busiest),
        parse_pmset_therm(run(["pmset", "-g", "therm"])),
        parse_macos_memory_level(run(["sysctl", "-n", "kern.memorystatus_vm_pressure_level"])),
    ]


def check_host() -> HostCheck:
    """The live host check (takes about :data:`SAMPLE_S` seconds to sample CPU use)."""
    if sys.platform.startswith("linux"):
        return HostCheck("linux", linux_findings())
    if sys.platform == "darwin":
        return HostCheck("darwin", macos_findings())
    return HostCheck(sys.platform, [Finding("host", UNKNOWN, f"no host checks for {sys.platform}")])

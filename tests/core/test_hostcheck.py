"""The host check's parsers on captured /proc, /sys, sysctl and pmset outputs (tests/core/fixtures/host)."""

from pathlib import Path

import pytest

from mobench.core import hostcheck as hc

FIX = Path(__file__).parent / "fixtures" / "host"


def by_check(findings):
    return {f.check: f for f in findings}


def test_a_container_without_cpufreq_says_what_it_does_not_know():
    f = by_check(hc.linux_findings(FIX / "linux_container", busiest=[("python", 99.0), ("swift-frontend", 33.0)]))
    assert f["governor"].status == hc.UNKNOWN and "no cpufreq" in f["governor"].message
    assert f["turbo"].status == hc.UNKNOWN and f["throttling"].status == hc.UNKNOWN
    assert f["load"].status == hc.WARN and "load 11.1 on 2 CPUs" in f["load"].message
    assert "busiest: python 99%, swift-frontend 33%" in f["load"].message
    assert f["memory"].status == hc.OK and "available" in f["memory"].message
    check = hc.HostCheck("linux", list(f.values()))
    line = check.line()
    assert line.startswith("host: load 11.1") and "(governor, turbo, throttling not known here)" in line
    assert hc.HostCheck.from_dict(check.to_dict()).findings == check.findings


def test_a_laptop_on_powersave_with_turbo_and_memory_pressure_gets_the_fixes():
    f = by_check(hc.linux_findings(FIX / "linux_laptop", busiest=[]))
    assert f["governor"].status == hc.WARN and "powersave" in f["governor"].message
    assert f["governor"].fix == "sudo cpupower frequency-set -g performance"
    assert f["turbo"].status == hc.WARN and f["turbo"].fix and "no_turbo" in f["turbo"].fix
    assert f["load"].status == hc.OK and "load 0.2 on 4 CPUs" in f["load"].message
    assert f["throttling"].status == hc.OK  # counters present and not rising during the check
    assert f["memory"].status == hc.WARN and "stalled 24%" in f["memory"].message
    line = hc.HostCheck("linux", list(f.values())).line()
    assert "fix: sudo cpupower frequency-set -g performance" in line and "not known" not in line


def test_throttle_counters_that_rise_during_the_check_warn():
    assert hc.parse_throttle({"a": 12, "b": 3}, {"a": 14, "b": 3}).status == hc.WARN
    assert hc.parse_throttle({"a": 12}, {"a": 12}).status == hc.OK
    assert hc.parse_throttle(None, None).status == hc.UNKNOWN


@pytest.mark.parametrize(
    "text, load",
    [("0.52 0.58 0.59 1/467 12345\n", 0.52), ("{ 1.52 1.61 1.71 }\n", 1.52), ("", None), ("garbage", None)],
)
def test_load_average_of_linux_and_macos(text, load):
    assert hc.parse_loadavg(text) == load


def test_busiest_processes_skip_our_own_and_sum_same_names():
    samples = [(1, "pytest", 40.0), (2, "pytest", 35.0), (3, "idle-thing", 2.0), (10, "mobench", 100.0)]
    assert hc.busiest_processes(samples, own={10}) == [("pytest", 75.0)]


def test_meminfo_and_psi():
    assert hc.parse_psi_memory((FIX / "linux_laptop/proc/pressure/memory").read_text()) == 23.51
    assert hc.parse_meminfo((FIX / "linux_laptop/proc/meminfo").read_text()) == pytest.approx(1102812 / 16271508)
    assert hc.parse_psi_memory("") is None and hc.parse_meminfo("nothing: here") is None
    assert hc.memory_finding(None, None).status == hc.UNKNOWN


def _mac(files):
    def run(argv):
        key = " ".join(argv)
        name = files.get(key)
        return (FIX / "macos" / name).read_text() if name else None

    return run


def test_macos_throttled_low_power_and_memory_warning():
    run = _mac(
        {
            "sysctl -n hw.logicalcpu": "sysctl_hw_logicalcpu.txt",
            "pmset -g": "pmset_g_lowpower.txt",
            "sysctl -n vm.loadavg": "sysctl_vm_loadavg.txt",
            "pmset -g therm": "pmset_therm_throttled.txt",
            "sysctl -n kern.memorystatus_vm_pressure_level": "sysctl_memorystatus_vm_pressure_level.txt",
        }
    )
    f = by_check(hc.macos_findings(run, busiest=[]))
    assert f["governor"].status == hc.WARN and f["governor"].fix == "sudo pmset -a lowpowermode 0"
    assert f["turbo"].status == hc.UNKNOWN
    assert f["load"].status == hc.OK and "load 1.5 on 8 CPUs" in f["load"].message
    assert f["throttling"].status == hc.WARN and "35%" in f["throttling"].message
    assert f["memory"].status == hc.WARN and "warning" in f["memory"].message


def test_macos_quiet_and_a_mac_that_says_nothing():
    quiet = hc.parse_pmset_therm((FIX / "macos/pmset_therm_quiet.txt").read_text())
    assert quiet.status == hc.OK
    f = by_check(hc.macos_findings(lambda argv: None, busiest=[]))
    assert {k: v.status for k, v in f.items()} == {
        "governor": hc.UNKNOWN,
        "turbo": hc.UNKNOWN,
        "load": hc.UNKNOWN,
        "throttling": hc.UNKNOWN,
        "memory": hc.UNKNOWN,
    }


def test_live_check_runs_here():
    check = hc.check_host()
    assert check.findings and check.line().startswith("host: ")

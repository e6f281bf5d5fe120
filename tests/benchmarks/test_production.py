"""benchmarks/production.py's CPU meter: every process of the profile counted, the ceiling it implies."""

from __future__ import annotations

import subprocess
import sys
import time
from types import SimpleNamespace

from benchmarks.production import CpuMeter


def test_cpu_per_turn_and_the_ceiling_it_implies():
    before = {"Rasa server 1": 10.0, "PostgreSQL": 2.0, "client (this benchmark)": 1.0}
    after = {"Rasa server 1": 11.5, "PostgreSQL": 2.3, "client (this benchmark)": 1.2, "started later": 5.0}
    figures = CpuMeter.per_turn(before, after, turns=100, cores=2)
    assert figures["ms"] == {"Rasa server 1": 15.0, "PostgreSQL": 3.0, "client (this benchmark)": 2.0}
    assert figures["total_ms"] == 20.0
    assert figures["turns_per_s_ceiling"] == 100.0  # 2,000 ms of CPU a second / 20 ms a turn


def test_the_meter_reads_each_service_process_and_this_client():
    # The worker spins for half a second of its own CPU time between the two samples, whatever the
    # machine's load: a spin timed by the wall clock got 0.18 s of CPU on a busy CI machine.
    spin_when_told = ("import sys, time\nsys.stdin.readline()\nend = time.process_time() + 0.5\n"
                      "while time.process_time() < end: pass\nprint('spun', flush=True)\ntime.sleep(30)")
    busy = subprocess.Popen([sys.executable, "-c", spin_when_told], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        profile = SimpleNamespace(services=[SimpleNamespace(name="worker 1", process=busy)], haproxy=None, postgres=None)
        meter = CpuMeter(profile)  # type: ignore[arg-type]
        first = meter.sample()
        busy.stdin.write("go\n")  # type: ignore[union-attr]
        busy.stdin.flush()  # type: ignore[union-attr]
        assert busy.stdout.readline().strip() == "spun"  # type: ignore[union-attr]
        second = meter.sample()
    finally:
        busy.kill()
        busy.wait()
    assert set(first) == set(second) == {"client (this benchmark)", "worker 1"}
    assert second["worker 1"] - first["worker 1"] >= 0.45  # its half second of spin (the meter rounds)
    assert second["client (this benchmark)"] > 0

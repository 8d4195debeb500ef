"""`python -m bench --quick` end to end: every benchmark writes its JSON, and nothing failed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = (  # written out, not imported: a benchmark dropped from the run must fail here
    "admission",
    "capacity",
    "join_storm",
    "redis_cost",
    "two_instances",
    "directory",
    "echo",
)
KEYS = {
    "name",
    "quick",
    "cpu_count",
    "versions",
    "params",
    "figures",
    "baseline",
    "ratio",
    "targets",
    "failures",
}
VERSIONS = {"python", "aiohttp", "python-socketio", "redis-server"}
RUN_TIMEOUT = 170


@pytest.mark.timeout(RUN_TIMEOUT + 30)
def test_quick_benchmarks_write_results_without_failures(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    output = done.stdout[-4000:] + done.stderr[-4000:]
    assert done.returncode == 0, output
    for name in BENCHMARKS:
        path = tmp_path / f"{name}.json"
        assert path.exists(), f"{name}.json missing\n{output}"
        result = json.loads(path.read_text())
        assert set(result) >= KEYS, f"{name}: missing {KEYS - set(result)}"
        assert result["name"] == name
        assert result["quick"] is True
        assert set(result["versions"]) >= VERSIONS, result["versions"]
        assert result["figures"] and result["baseline"], name
        assert all({"name", "value", "limit", "met"} <= set(t) for t in result["targets"])
        assert result["failures"] == 0, f"{name}: {json.dumps(result['figures'])[:3000]}"
    admission = json.loads((tmp_path / "admission.json").read_text())
    capacity = json.loads((tmp_path / "capacity.json").read_text())
    timed = [admission["figures"]["memory"], admission["figures"]["redis"]]
    for figures in timed + list(capacity["figures"].values()):
        legs = figures["admission_legs"]
        # Every timed admission was found in the server's stamps (bench.stamps).
        assert legs["in_server"]["count"] == figures["admission"]["count"], legs
        assert legs["in_server"]["p50_ms"] < figures["admission"]["p50_ms"], legs
    # The admissions and their relay baseline were played by the workers, not the harness.
    assert all(f["workers"] >= 2 for f in timed)
    assert admission["baseline"]["relay"]["count"] == timed[0]["admission"]["count"]
    storm = json.loads((tmp_path / "join_storm.json").read_text())
    assert storm["figures"]["postgres"]["instances"] == 2
    assert storm["figures"]["postgres"]["waiting"] == storm["params"]["guests"]
    directory = json.loads((tmp_path / "directory.json").read_text())
    # Counted in the server: every admission checks the room's owners at least once.
    assert directory["figures"]["phases"]["admission"]["reads_per_op"] >= 1

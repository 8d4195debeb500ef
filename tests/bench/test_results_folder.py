"""Where `python -m bench` writes: a quick run must not replace the full run's figures."""

from __future__ import annotations

from pathlib import Path

from bench.__main__ import RESULTS, results_folder


def test_a_quick_run_writes_beside_the_full_results_not_over_them() -> None:
    assert results_folder(None, quick=False) == RESULTS
    assert results_folder(None, quick=True) == RESULTS / "quick"


def test_an_explicit_folder_wins(tmp_path: Path) -> None:
    assert results_folder(tmp_path, quick=True) == tmp_path
    assert results_folder(tmp_path, quick=False) == tmp_path

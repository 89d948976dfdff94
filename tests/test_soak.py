"""A short soak through the live path (benchmarks/soak.py runs the hour):
scene changes every few seconds, bad commands now and then, and memory flat."""

import importlib.util

from conftest import ROOT


def load_soak():
    spec = importlib.util.spec_from_file_location("soak", ROOT / "benchmarks" / "soak.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_minute_of_scene_changes_keeps_memory_flat():
    lines = []
    r = load_soak().soak(1.0, size=(64, 36), fps=30, every=1.0, sample=10.0, report=lines.append)
    assert r["frames"] == 1800
    assert r["commands"] >= 59 and r["failed_commands"] >= 8   # the bad ones, counted
    python = r["python_mb"]
    assert len(python) == 6
    # Once every scene has been visited (its buffers made), Python's heap does not grow.
    assert python[-1] - python[2] < 0.02, lines
    assert r["rss_mb"][-1] - r["rss_mb"][2] < 8.0, lines

"""Rendering on a real local Ray cluster (no mocks), inside a private network
namespace so that its traffic stays on loopback: exact against one process,
a killed worker survived, Ctrl-C then --resume, a wrong address in one line."""

import json
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("ray", reason="the cluster extra is not installed (pip install '.[cluster]')")


def _namespace_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    return r.returncode == 0


pytestmark = pytest.mark.skipif(not _namespace_works(),
                                reason="needs `unshare -n` (root) to keep Ray on loopback")


def rig(mode: str, folder) -> dict:
    r = subprocess.run(["unshare", "-n", "sh", "-c",
                        f'ip link set lo up && exec "{sys.executable}" tests/cluster_rig.py '
                        f'{mode} "{folder}"'], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_two_workers_write_the_bytes_one_process_writes(tmp_path):
    out = rig("exact", tmp_path)
    assert out == {"same_bytes": True, "same_frames": True, "frames": 120}


def test_a_png_sequence_renders_on_the_cluster_too(tmp_path):
    assert rig("png", tmp_path) == {"files": 120, "same": True}


def test_a_cluster_without_token_authentication_is_refused(monkeypatch, tmp_path):
    from visualizer.engine.cluster import _require_token
    from visualizer.errors import VisualizerError
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    with pytest.raises(VisualizerError, match="runs anyone's code; use RAY_AUTH_MODE=token"):
        _require_token("10.0.0.2:6379")
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    monkeypatch.delenv("RAY_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(VisualizerError, match="no Ray token here"):
        _require_token("10.0.0.2:6379")


def test_a_killed_worker_is_survived(tmp_path):
    out = rig("kill", tmp_path)
    assert out["killed"] == 1 and out["tries_of_chunk_2"] == 2 and out["same_bytes"]


def test_ctrl_c_leaves_the_chunks_done_and_resume_renders_only_the_rest(tmp_path):
    out = rig("resume", tmp_path)
    # Stopped once two segments were whole (a third may finish meanwhile): the
    # file holds the chunks done from the start, and plays.
    assert out["stopped_frames"] in (60, 90) and out["partial_frames"] == out["stopped_frames"]
    again = out["rendered_again"]
    assert again and again == list(range(again[0], out["chunks"]))   # only the rest
    assert again[0] >= out["stopped_frames"] // 30
    assert out["same_bytes"]


def test_a_cluster_started_as_the_readme_says_renders_the_same_bytes(tmp_path):
    out = rig("head", tmp_path)
    assert out["code"] == 0 and out["same_bytes"]
    assert out["open_code"] == 2 and "without token authentication" in out["open_error"][0]


def test_an_unreachable_cluster_is_one_line(tmp_path):
    out = rig("bad_address", tmp_path)
    assert out["code"] == 2 and not out["output"]
    assert out["stderr"] == ["visualizer: error: --cluster 127.0.0.1:1: no Ray head answers "
                             "there (Connection refused)"]

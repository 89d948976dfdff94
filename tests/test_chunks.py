"""A render as plan -> chunks -> assemble: chunks rendered apart (in other
processes, in any order) join into the same bytes as one process rendering
them in turn; the picture across a chunk boundary is the one an unchunked
render draws; the sound is muxed once, whole."""

import hashlib
import pickle
import subprocess
import sys

import av
import numpy as np
import pytest

from conftest import ROOT, write_wav
from visualizer.analysis.from_file import analyze_file
from visualizer.engine.offline import Segments, render_chunk, render_plan
from visualizer.engine.plan import PREROLL_S, make_plan
from visualizer.scenes.cues import Cue
from visualizer.scenes.scene import discover

SR = 48000
FPS = 30


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    """3 s: a pulsing tone rising in pitch, so every second looks different."""
    t = np.arange(3 * SR) / SR
    x = 0.3 * np.sin(2 * np.pi * (220 + 110 * t) * t) * (0.5 + 0.5 * (np.sin(2 * np.pi * 3 * t) > 0))
    return write_wav(tmp_path_factory.mktemp("song") / "song.wav", x.astype(np.float32), SR)


def plan_for(song, chunk_seconds):
    track = analyze_file(song, sample_rate=SR)
    cues = [Cue(0.0, "vortex"), Cue(1.4, "steppe", "crossfade", duration=0.5)]
    return make_plan(song, track, discover(), cues, size=(160, 90), fps=FPS,
                     chunk_seconds=chunk_seconds)


def decoded(path):
    with av.open(str(path)) as c:
        video = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    with av.open(str(path)) as c:
        sound = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    return video, sound


CHUNK_IN_A_PROCESS = """
import pickle, sys
from pathlib import Path
from visualizer.engine.offline import render_chunk
plan, chunk, path = pickle.loads(Path(sys.argv[1]).read_bytes())
print(render_chunk(plan, chunk, path))
"""


def test_chunks_rendered_apart_join_into_the_same_bytes(song, tmp_path):
    plan = plan_for(song, 1.0)
    chunks = plan.chunks()
    assert [c.count for c in chunks] == [30, 30, 30] and chunks[1].preroll == 30
    whole = tmp_path / "in_turn.mp4"
    assert render_plan(plan, whole, progress=False) == 90
    # Each chunk in a process of its own, the last first, two at once.
    out = tmp_path / "apart.mp4"
    parts = Segments(out, "h264")
    procs = []
    for chunk in reversed(chunks):
        job = tmp_path / f"job{chunk.index}.pickle"
        job.write_bytes(pickle.dumps((plan, chunk, parts.part(chunk))))
        procs.append(subprocess.Popen([sys.executable, "-c", CHUNK_IN_A_PROCESS, str(job)],
                                      cwd=ROOT, stdout=subprocess.PIPE, text=True))
    assert [p.communicate(timeout=300)[0].strip() for p in procs] == ["30", "30", "30"]
    for chunk in chunks:
        parts.finished(chunk)
    parts.join(plan, chunks)
    parts.tidy()
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(whole.read_bytes()).digest()
    assert not parts.folder.exists()


def test_a_chunked_render_draws_what_an_unchunked_one_draws(song, tmp_path):
    """Across the boundaries the pre-roll restores the scenes' state: every
    picture equals an unchunked render's, bit for bit (a PNG sequence, no
    encoder between), and the sound is the whole file's, once."""
    pictures = {}
    for name, seconds in (("one", 60.0), ("three", 1.0)):
        (tmp_path / name).mkdir()
        render_plan(plan_for(song, seconds), tmp_path / name / "f.png", progress=False)
        pictures[name] = [(tmp_path / name / f"f_{k:05d}.png").read_bytes() for k in range(1, 91)]
    assert pictures["one"] == pictures["three"]
    assert len(set(pictures["one"])) > 80      # and the pictures move
    render_plan(plan_for(song, 60.0), tmp_path / "one.mp4", progress=False)
    render_plan(plan_for(song, 1.0), tmp_path / "three.mp4", progress=False)
    (v1, s1), (v3, s3) = decoded(tmp_path / "one.mp4"), decoded(tmp_path / "three.mp4")
    assert len(v1) == len(v3) == 90
    assert s1.shape == s3.shape and s1.shape[1] >= 3 * SR - 1024
    assert np.abs(s1 - s3).max() < 1e-6


def test_a_chunk_starts_on_the_scene_its_cues_chose(song, tmp_path):
    plan = plan_for(song, 1.0)
    assert plan.cue_at(plan.time_of(60 - round(PREROLL_S * FPS))) == 0
    assert plan.cues[plan.cue_at(2.0)].scene == "steppe"
    chunk = plan.chunks()[2]
    assert render_chunk(plan, chunk, tmp_path / "c.mp4") == 30


def test_a_scene_with_feedback_stays_within_one_level_across_chunks(tmp_path):
    """Trails feed their last picture back: a chunk's longer pre-roll rebuilds
    that history to within the 8-bit buffer's rounding of an unchunked render
    (2 s of pre-roll left 18/255 at the boundary)."""
    from visualizer.audio.demo import demo_track
    from visualizer.scenes.scene import find
    song = write_wav(tmp_path / "fb.wav", demo_track(SR)[:7 * SR], SR)
    track = analyze_file(song, sample_rate=SR)
    scenes = discover([ROOT / "examples" / "isf"])
    key = find("trails", scenes).key
    worst = 0
    folders = []
    for seconds in (60.0, 2.0):
        folder = tmp_path / f"c{seconds:g}"
        folder.mkdir()
        plan = make_plan(song, track, scenes, [Cue(0.0, key)], size=(160, 90), fps=FPS,
                         chunk_seconds=seconds)
        render_plan(plan, folder / "f.png", progress=False)
        folders.append(folder)
    for k in range(150, 211):   # the chunk starting at 6 s: its pre-roll starts at 1 s
        a, b = (np.asarray(_png(f / f"f_{k:05d}.png"), int) for f in folders)
        worst = max(worst, int(np.abs(a - b).max()))
    assert worst <= 2


def _png(path):
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="rgb24")

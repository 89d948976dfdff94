"""Stills of scenes at moments of a recording: a snapshot, and a labelled
contact sheet of every scene (what a VJ looks at before a show)."""

import math
from pathlib import Path

import numpy as np

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.analysis.features import FeatureFrame
from visualizer.analysis.track import FeatureTrack, analyze
from visualizer.audio.file_source import FileSource, mono
from visualizer.engine.clock import FrameClock
from visualizer.engine.core import Engine
from visualizer.engine.plan import SETTLE_S
from visualizer.errors import AudioFileError, OutputError, VisualizerError
from visualizer.render.renderer import Renderer
from visualizer.scenes.scene import Scene
from visualizer.scenes.state import SceneState

_FPS = 30
_FEEDBACK_WARMUP_S = 2.0  # a sheet's trails: history enough to look like themselves
# Parameter bindings follow their features with attack/release times of up to
# a few seconds: a still replays this much of the track through them first, so
# it shows what the show shows at that moment, not the bindings at rest.
_BINDINGS_SETTLE_S = 6.0


def load_audio(path: Path, sample_rate: int = 48000) -> np.ndarray:
    """A whole file as mono float32 (stills need random access)."""
    with FileSource(path, sample_rate=sample_rate) as source:
        return mono(source.read_all())


def render_stills(samples: np.ndarray, scenes: list[Scene], times: list[float],
                  size: tuple[int, int], *, sample_rate: int = 48000,
                  track: FeatureTrack | None = None, name: str = "the recording",
                  flag: str = "--at", looks: dict[str, str] | None = None,
                  effects: list[Scene] = (), params: list = (),
                  warmup: float | None = _FEEDBACK_WARMUP_S,
                  ) -> dict[tuple[str, float], np.ndarray]:
    """Each scene at each time: {(key, t): (h, w, 3) uint8}.

    ``looks`` names a look by scene key for the scenes to show in one;
    ``effects`` are drawn on every still, in turn, and ``params``
    (:class:`~visualizer.engine.param_setting.ParamSetting`) set first. A
    scene or effect that feeds its picture back is drawn for ``warmup``
    seconds of frames before each still (None: from the start of the audio;
    see :func:`warmup_seconds`).

    ``samples`` is (n,) mono float at ``sample_rate``; ``name`` (the file)
    and ``flag`` (the option that gave ``times``) name them in errors.
    """
    duration = samples.shape[0] / sample_rate
    for t in times:
        if not 0 <= t <= duration:
            raise VisualizerError(f"{flag} {t:g} s is outside {name} (0 to {duration:.1f} s)")
    track = track or analyze(samples, sample_rate=sample_rate)
    if track.rows.shape[0] == 0:  # not one analysis hop: no features to draw with
        raise AudioFileError(f"{name}: too short for a still: less than "
                             f"{track.hop_seconds * 1000:.1f} ms of audio")
    settings = AnalyzerSettings(sample_rate=sample_rate, musical=False)
    lookahead = settings.n_fft // 2
    renderer = Renderer.headless(sample_rate=sample_rate)
    out = {}
    try:
        target = renderer.offscreen(size)
        for scene in scenes:
            engine = Engine(renderer, [scene], scene=scene.key, analyzer=Analyzer(settings),
                            effects=effects)
            for fx in effects:
                engine.effects.set(fx.key, True)
            for t in times:
                warm = warmup_seconds([scene, *effects], t, warmup)
                engine.analyzer = Analyzer(settings)
                engine.states[scene.key] = settled_state(scene, track, max(0.0, t - warm),
                                                             look=(looks or {}).get(scene.key, ""))
                for setting in params:
                    setting.apply(engine)
                for key in [scene.key] + [f"fx/{fx.key}" for fx in effects]:
                    renderer.clear_buffers(key)   # each still's feedback starts from black
                start = max(0.0, t - warm - SETTLE_S)  # the automatic gain settles
                clock = FrameClock(_FPS, start=max(0.0, t - warm))
                engine.analyzer.process(samples[int(start * sample_rate):
                                                int(clock.start * sample_rate) + lookahead])
                fed = int(clock.start * sample_rate) + lookahead
                frames = max(1, math.ceil(warm * _FPS) + 1)
                for _ in range(frames):
                    timing = clock.tick()
                    now = min(int(timing.time * sample_rate) + lookahead, samples.shape[0])
                    engine.step(samples[fed:now], timing, target.fbo,
                                values=track.rows[track.index_at(timing.time)])
                    fed = max(fed, now)
                out[(scene.key, t)] = target.read().copy()
    finally:
        renderer.release()
    return out


def warmup_seconds(scenes: list[Scene], t: float, warmup: float | None) -> float:
    """Seconds of frames drawn before a still at ``t``: none unless one of
    ``scenes`` feeds a buffer back (trails, a spectrogram); then ``warmup``,
    or all of them from the start of the audio (None)."""
    if not any(p.feedback for s in scenes for p in s.passes):
        return 0.0
    return t if warmup is None else min(warmup, t)


def settled_state(scene: Scene, track: FeatureTrack, t: float, *, look: str = "") -> SceneState:
    """The scene's parameters as a show playing the track from its start would
    have them at ``t`` (in ``look``, if named): its bindings fed the track's
    last seconds at 30 fps."""
    state = SceneState(scene)
    if look:
        state.look(look, 0.0)
    if not scene.bindings:
        return state
    frame = FeatureFrame()
    start = max(0.0, t - _BINDINGS_SETTLE_S)
    for k in range(int(round((t - start) * _FPS))):
        frame.values[:] = track.rows[track.index_at(start + k / _FPS)]
        state.update(frame, 1.0 / _FPS)
    return state


def write_sheet(stills: dict, scenes: list[Scene], times: list[float], path: Path,
                *, title: str = "") -> None:
    """A labelled grid: a row per scene, a column per moment."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h, w = next(iter(stills.values())).shape[:2]
    cols, rows = len(times), len(scenes)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * w / 100, rows * (h + 26) / 100),
                             squeeze=False, facecolor="#111014")
    for r, scene in enumerate(scenes):
        for c, t in enumerate(times):
            ax = axes[r][c]
            ax.imshow(stills[(scene.key, t)])
            ax.set_axis_off()
            ax.set_title(f"{scene.key}  {t:.1f} s", color="#e8d9c0", fontsize=9, pad=3)
    top = 1.0
    if title:
        top = 1.0 - 0.35 / fig.get_figheight()  # room for the title above the first labels
        fig.suptitle(title, color="#e8d9c0", fontsize=11, y=0.998)
    fig.tight_layout(pad=0.4, rect=(0, 0, 1, top))
    try:
        fig.savefig(path, dpi=100, facecolor=fig.get_facecolor())
    except OSError as e:
        raise OutputError(f"{path}: cannot write sheet ({e.strerror or e})") from None
    finally:
        plt.close(fig)


def default_times(duration: float, n: int = 4) -> list[float]:
    """``n`` moments spread through a recording (not the silent edges)."""
    return [round(duration * (i + 0.5) / n, 1) for i in range(n)]

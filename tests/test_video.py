"""Offline render to a real MP4, checked by decoding it with PyAV."""

import av
import numpy as np
import pytest

from conftest import run_cli, tone, write_wav
from visualizer.engine.offline import RenderOptions, render_file
from visualizer.scenes.cues import Cue

FPS = 30


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    """3.2 s: quiet tone, then a loud bass pulse (so the picture must change)."""
    sr = 48000
    quiet = tone(330, 1.6, amp=0.02)
    t = np.arange(int(sr * 1.6)) / sr
    pulse = (0.8 * np.sin(2 * np.pi * 60 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)
    stereo = np.stack([np.concatenate([quiet, pulse])] * 2, axis=1)
    return write_wav(tmp_path_factory.mktemp("song") / "song.wav", stereo, sr)


def test_rendered_mp4_has_h264_and_aac_and_the_audio_length(song, tmp_path, scenes):
    out = tmp_path / "out.mp4"
    frames = render_file(song, out, scenes=scenes, cues=[Cue(0, "vortex"), Cue(1.6, "steppe")],
                         options=RenderOptions(size=(320, 180), fps=FPS, progress=False))
    with av.open(str(out)) as c:
        kinds = [(s.type, s.codec_context.name) for s in c.streams]
        assert kinds == [("video", "h264"), ("audio", "aac")]
        video, audio = c.streams.video[0], c.streams.audio[0]
        v_dur = float(video.duration * video.time_base)
        a_dur = float(audio.duration * audio.time_base)
        assert abs(v_dur - 3.2) <= 1 / FPS
        assert abs(a_dur - 3.2) <= 1 / FPS
        assert video.codec_context.width == 320 and video.codec_context.height == 180
        pictures = [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]
    assert len(pictures) == frames == 96
    # The picture moves, and the loud second half (the steppe on a bass
    # pulse) is a different picture from the quiet vortex.
    assert np.abs(pictures[10] - pictures[11]).mean() > 0.5
    assert np.abs(pictures[30] - pictures[80]).mean() > 10


def test_the_muxed_audio_is_the_source_audio(song, tmp_path, scenes):
    out = tmp_path / "a.mp4"
    render_file(song, out, scenes=scenes, cues=[Cue(0, "vortex")],
                options=RenderOptions(size=(64, 36), fps=FPS, progress=False))
    with av.open(str(out)) as c:
        pcm = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
    sr = 48000
    # The quiet 330 Hz tone in the first half, the 60 Hz pulse later.
    first = pcm[int(0.3 * sr):int(1.3 * sr)]
    peak = np.argmax(np.abs(np.fft.rfft(first * np.hanning(first.size)))) * sr / first.size
    assert abs(peak - 330) < 3
    assert np.sqrt(np.mean(pcm[int(2 * sr):int(3 * sr)] ** 2)) > 10 * np.sqrt(np.mean(first ** 2))


def test_cli_render_prints_progress_and_writes_the_file(song, tmp_path):
    out = tmp_path / "cli.mp4"
    result = run_cli("render", str(song), "-o", str(out), "--size", "160x90", "--fps", "24",
                     "--scene", "steppe")
    assert result.returncode == 0, result.stderr
    assert "77/77 frames" in result.stderr and "fps" in result.stderr  # the progress bar
    assert "(77 frames, 3.21 s)" in result.stdout
    assert out.stat().st_size > 1000
    with av.open(str(out)) as c:
        assert c.streams.video[0].average_rate == 24

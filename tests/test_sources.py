"""Audio sources: files in every common format, and live playback through a
real PortAudio output stream."""

import time

import av
import numpy as np
import pytest

from conftest import tone, write_wav
from visualizer.audio.file_source import FileSource, LIMIT, mono
from visualizer.audio.player import FilePlayer
from visualizer.errors import AudioFileError, DeviceError
from wavfile import wav_bytes

SR = 48000


def encode(path, samples: np.ndarray, sr: int, codec: str, **options) -> None:
    """Encode mono float samples as stereo with PyAV (the library that decodes)."""
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=sr)
        s.layout = "stereo"  # FFmpeg's own Vorbis encoder takes stereo only
        s.codec_context.options = options
        fmt = s.codec_context.codec.audio_formats[0].name
        stereo = np.repeat(samples[None, :].astype(np.float32), 2, axis=0)
        frame = av.AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
        frame.sample_rate = sr
        frame = av.AudioResampler(format=fmt, layout="stereo", rate=sr).resample(frame)
        for f in frame:
            c.mux(s.encode(f))
        c.mux(s.encode(None))


def peak_hz(x: np.ndarray, sr: int = SR) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return np.argmax(spectrum) * sr / x.size


@pytest.mark.parametrize("name, codec, options", [
    ("a.flac", "flac", {}),
    ("a.ogg", "vorbis", {"strict": "-2"}),
    ("a.mp3", "libmp3lame", {}),
])
def test_compressed_files_decode_resample_and_mix_to_mono(tmp_path, name, codec, options):
    sr = 44100  # not the analysis rate: the source must resample
    path = tmp_path / name
    encode(path, tone(660, 2.0, sr=sr), sr, codec, **options)
    src = FileSource(path, sample_rate=SR)
    audio = src.read_all()
    assert audio.shape[1] == 2 and audio.dtype == np.float32
    assert abs(audio.shape[0] / SR - 2.0) < 0.1  # codecs pad a little
    if codec != "vorbis":  # Ogg stores no duration; FFmpeg's estimate is only a hint
        assert abs(src.duration - 2.0) < 0.1
    m = mono(audio)
    assert abs(peak_hz(m[SR // 4:SR // 4 + SR]) - 660) <= 1.5
    assert 0.3 < np.abs(m).max() < 0.7


def test_wav_reads_in_blocks_exactly(tmp_path):
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (SR, 2)).astype(np.float32)
    path = write_wav(tmp_path / "n.wav", x, SR)
    src = FileSource(path, sample_rate=SR)
    parts = [src.read(n) for n in (1, 999, 20000, 100000)]
    assert [p.shape[0] for p in parts] == [1, 999, 20000, SR - 21000]
    assert src.at_end()
    np.testing.assert_allclose(np.concatenate(parts), x, atol=1 / 32767)


def test_a_folder_or_text_is_not_audio(tmp_path):
    with pytest.raises(AudioFileError, match="is a folder"):
        FileSource(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("saxophone")
    with pytest.raises(AudioFileError, match="notes.txt: cannot be decoded"):
        FileSource(text)


def test_file_player_feeds_the_ring_through_a_real_output_callback(tmp_path):
    # The ALSA file device doubles as an output here, so PortAudio calls our
    # output callback for real. Nothing paces it: it runs far faster than
    # real time and plays silence whenever the decoder is behind, so it laps
    # the ring whenever a reader is held up (a busy machine). What it feeds
    # the ring is kept as it goes, on the callback's thread, less the silence.
    path = write_wav(tmp_path / "t.wav", tone(440, 1.0), SR)
    player = FilePlayer(path, sample_rate=SR, output="testmic")
    fed, write = [], player.ring.write

    def feed(block, capture_time):
        fed.append(block[block != 0].copy())
        write(block, capture_time)
    player.ring.write = feed
    player.start()
    deadline = time.monotonic() + 30
    while not player.finished and time.monotonic() < deadline:
        time.sleep(0.01)
    player.stop()
    assert not player.silent and player.finished
    sound = np.concatenate(fed)
    assert abs(sound.size - SR) < SR * 0.02  # the whole file went through the callback
    assert abs(peak_hz(sound[:4800]) - 440) <= 10  # one decoded block: 10 Hz resolution


def test_file_player_without_sound_is_paced_by_the_clock(tmp_path):
    path = write_wav(tmp_path / "t.wav", tone(440, 1.0), SR)
    player = FilePlayer(path, sample_rate=SR, output="none")
    started = time.perf_counter()
    player.start()
    playing = time.perf_counter()   # the paced loop began in between
    time.sleep(0.5)   # or longer, on a busy machine: what counts is the time that passed
    got = player.ring.available
    now = time.perf_counter()
    player.stop()
    assert player.silent
    # About real time, not as fast as possible: at most a block ahead of the clock.
    assert 0.6 * (now - playing) * SR < got <= (now - started) * SR + 2 * player.buffer_size


def test_every_live_source_has_the_whole_contract(tmp_path):
    """The live loop reads these members of any source and probes for none."""
    from visualizer.audio.mic import MicChannel, MicSource
    from visualizer.audio.source import LiveSource
    path = write_wav(tmp_path / "t.wav", tone(440, 0.1), SR)
    mic = MicSource("testmic", sample_rate=SR, channels=[0, 1])
    sources = [FilePlayer(path, sample_rate=SR, output="none"), mic, MicChannel(mic, 1)]
    for source in sources:
        assert isinstance(source, LiveSource)
        assert source.sample_rate == SR and source.ring.available == 0
        assert (source.overflows, source.status_text) == (0, "")
        assert (source.lost_count, source.recovered_count) == (0, 0)
        silence = source.silence_due()
        assert silence.shape == (0,) and silence.dtype == np.float32
    assert [s.silent for s in sources] == [True, False, False]
    assert sources[2].ring is mic.rings[1]


def test_a_named_output_that_does_not_exist_is_an_error(tmp_path):
    path = write_wav(tmp_path / "t.wav", tone(440, 0.1), SR)
    with pytest.raises(DeviceError, match="audio output device 'Big Speakers': not found"):
        FilePlayer(path, output="Big Speakers")


@pytest.mark.parametrize("fmt", ["f32", "f64"])
def test_nan_inf_and_absurd_samples_are_made_safe_where_they_are_decoded(tmp_path, fmt):
    sr = 44100  # resampled: a NaN reaching the resampler's filter would spread
    clean = np.stack([tone(330, 1.0, sr=sr), tone(550, 1.0, sr=sr)], axis=1).astype(np.float64)
    clean[5000:5100] *= 6.0   # overs of a float master (+15.6 dBFS) are kept as they are
    dirty = clean.copy()
    dirty[10000:10050, 0] = np.nan
    dirty[20000, :] = np.inf
    dirty[30000, 1] = -np.inf
    dirty[40000:40005, :] = 1e30
    dirty[40005, 0] = -3e38
    paths = []
    for name, x in (("clean.wav", clean), ("dirty.wav", dirty)):
        paths.append(tmp_path / name)
        paths[-1].write_bytes(wav_bytes(x, rate=sr, fmt=fmt))
    want = FileSource(paths[0]).read_all()
    src = FileSource(paths[1], report=False)
    got = src.read_all()
    assert (src.nonfinite, src.clipped) == (53, 11)
    assert np.isfinite(got).all() and np.abs(got).max() <= LIMIT
    assert np.abs(want).max() > 2.5   # the overs survived
    # Away from the planted samples (a resampler's filter length), nothing changed.
    away = np.ones(got.shape[0], bool)
    for at in (10000, 10050, 20000, 30000, 40000, 40006):
        k = round(at * SR / sr)
        away[max(k - 200, 0):k + 200] = False
    np.testing.assert_allclose(got[away], want[away], atol=1e-6)


def test_repairs_are_reported_once_in_one_line(tmp_path, capsys):
    x = tone(440, 0.2)
    x[100:110] = np.nan
    path = tmp_path / "nan.wav"
    path.write_bytes(wav_bytes(x, rate=SR, fmt="f32"))
    with FileSource(path) as src:
        src.read_all()
    with FileSource(path, report=False) as src:   # a second pass over the same file
        src.read_all()
    err = capsys.readouterr().err
    assert err == f"visualizer: {path}: 10 non-finite samples (NaN/inf) replaced with silence\n"


def test_a_sample_rate_no_audio_has_is_refused(tmp_path):
    # A 1 Hz header would turn these few bytes into hours of sound at 48 kHz.
    path = tmp_path / "slow.wav"
    path.write_bytes(wav_bytes(np.zeros(4000), rate=1, fmt="s16"))
    with pytest.raises(AudioFileError, match="slow.wav: sample rate 1 Hz is not audio"):
        FileSource(path)


def test_file_player_plays_nan_as_silence_and_says_so_once(tmp_path, capsys):
    x = tone(440, 0.2)
    x[::7] = np.nan
    path = tmp_path / "nan.wav"
    path.write_bytes(wav_bytes(x, rate=SR, fmt="f32"))
    player = FilePlayer(path, sample_rate=SR, output="none", loop=True)
    player.start()
    time.sleep(0.5)   # past the end: the file loops, and is reported once
    heard = player.ring.drain().copy()
    player.stop()
    assert heard.size > 0.3 * SR and np.isfinite(heard).all() and np.abs(heard).max() > 0.3
    assert capsys.readouterr().err == (f"visualizer: {path}: {x[::7].size} non-finite samples "
                                       "(NaN/inf) replaced with silence\n")


def test_file_player_does_not_spin_on_an_empty_file_it_loops(tmp_path):
    path = write_wav(tmp_path / "empty.wav", np.zeros(0, np.float32), SR)
    player = FilePlayer(path, sample_rate=SR, output="none", loop=True)
    player.start()
    time.sleep(0.2)
    player.stop()
    assert player.finished   # the decoder reached the end once and stopped

"""Audio sources: files in every common format, and live playback through a
real PortAudio output stream."""

import time

import av
import numpy as np
import pytest

from conftest import tone, write_wav
from visualizer.audio.file_source import FileSource, mono
from visualizer.audio.live import FilePlayer
from visualizer.errors import AudioFileError, DeviceError

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
    # real time and plays silence whenever the decoder is behind, so the test
    # drains often and keeps what was not silent.
    path = write_wav(tmp_path / "t.wav", tone(440, 1.0), SR)
    player = FilePlayer(path, sample_rate=SR, output="testmic")
    player.start()
    heard = []
    deadline = time.monotonic() + 10
    while not player.finished and time.monotonic() < deadline:
        block = player.ring.drain()
        heard.append(block[block != 0].copy())
        time.sleep(0.0005)
    player.stop()
    heard.append(player.ring.drain().copy())
    assert not player.silent and player.finished
    sound = np.concatenate(heard)
    sound = sound[sound != 0]
    assert abs(sound.size - SR) < SR * 0.02  # the whole file went through the callback
    assert abs(peak_hz(sound[:4800]) - 440) <= 10  # one decoded block: 10 Hz resolution


def test_file_player_without_sound_is_paced_by_the_clock(tmp_path):
    path = write_wav(tmp_path / "t.wav", tone(440, 1.0), SR)
    player = FilePlayer(path, sample_rate=SR, output="none")
    player.start()
    time.sleep(0.5)
    got = player.ring.available
    player.stop()
    assert player.silent
    assert 0.3 * SR < got < 0.7 * SR  # about real time, not as fast as possible


def test_a_named_output_that_does_not_exist_is_an_error(tmp_path):
    path = write_wav(tmp_path / "t.wav", tone(440, 0.1), SR)
    with pytest.raises(DeviceError, match="audio output device 'Big Speakers': not found"):
        FilePlayer(path, output="Big Speakers")

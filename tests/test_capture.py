"""Capture through a real PortAudio stream from an ALSA `file` device.

The ALSA file plugin reads the samples we write (conftest's MIC_RAW); it does
not pace capture like a sound card, so the test waits for enough samples
rather than for an amount of time.
"""

import time

import numpy as np
import pytest

from conftest import tone
from visualizer.analysis.analyzer import Analyzer
from visualizer.analysis.bands import log_band_edges
from visualizer.audio.mic import MicSource
from visualizer.audio.portaudio import find_input, list_devices
from visualizer.errors import DeviceError

SR = 48000


def capture(seconds: float) -> tuple[np.ndarray, MicSource]:
    mic = MicSource("testmic", sample_rate=SR, buffer_size=256, ring_seconds=30)
    mic.start()
    deadline = time.monotonic() + 10
    while mic.ring.available < seconds * SR and time.monotonic() < deadline:
        time.sleep(0.002)
    mic.stop()
    return mic.ring.drain()[:int(seconds * SR)].copy(), mic


def test_the_test_microphone_is_listed():
    names = [d.name for d in list_devices() if d.inputs > 0]
    assert "testmic" in names
    assert find_input("testm").name == "testmic"
    assert find_input(str(find_input("testmic").index)).name == "testmic"


@pytest.mark.parametrize("freq", [220.0, 440.0, 1318.5])
def test_the_tone_put_in_is_the_pitch_the_analyzer_sees(mic_file, freq):
    mic_file(tone(freq, 1.0))
    samples, mic = capture(1.0)
    assert samples.shape == (SR,)
    # The captured samples are the tone: its FFT peaks at the frequency.
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(SR)))
    assert abs(np.argmax(spectrum) - freq) <= 1.0
    # And the analyzer fed from the ring puts it in the right band.
    a = Analyzer()
    for i in range(0, SR, 256):
        frame = a.process(samples[i:i + 256], capture_time=mic.ring.capture_time)
    edges = log_band_edges(n_bands=48, fmin=30, fmax=16000)
    lo, hi = edges[np.argmax(frame.bands)], edges[np.argmax(frame.bands) + 1]
    assert lo / 1.06 <= freq <= hi * 1.06
    assert frame["level"] > 0.9
    assert np.isfinite(frame.capture_time)


def test_an_unknown_device_is_a_clear_error():
    with pytest.raises(DeviceError, match="'no such mic': not found"):
        MicSource("no such mic")
    with pytest.raises(DeviceError, match="no input device has that index"):
        MicSource("999")
    with pytest.raises(DeviceError, match="has no input channel 200"):
        MicSource("testmic", channel=199)

"""The latency meter and frame statistics, fed real perf_counter() timestamps."""

import math
import queue
import re
import threading
import time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from visualizer.output.display.stats import FrameStats, LatencyMeter


def test_latency_of_captures_passed_between_threads():
    # One thread stamps "captures" as an audio callback would; the other
    # takes them as a render loop would and measures how old each one is.
    stamps: queue.Queue = queue.Queue()
    meter, seen = LatencyMeter(capacity=1200), []
    n = 1500

    def capture():
        for _ in range(n):
            stamps.put(time.perf_counter())
            time.sleep(0.0002)

    def render():
        for _ in range(n):
            captured = stamps.get(timeout=10)   # before reading the clock: no negative ages
            latency = time.perf_counter() - captured
            meter.add(latency)
            seen.append(latency)

    threads = [threading.Thread(target=capture), threading.Thread(target=render)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(seen) == n and meter.total == n and meter.count == 1200
    last = np.array(seen[-1200:])
    assert sorted(meter.values) == sorted(last)
    median, p99 = np.percentile(last, (50, 99))
    assert meter.median() == median and meter.p99() == p99
    assert 0 <= min(seen) <= meter.median() <= meter.p99() <= max(seen)
    assert meter.p99() < 10.0        # seconds: a timestamp, not a raw counter
    text = meter.summary()
    assert re.fullmatch(r"latency median \d+\.\d ms, p99 \d+\.\d ms \(1200 frames\)", text), text
    assert f"{median * 1000:.1f} ms" in text


def test_statistics_follow_new_values_and_skip_missing_captures():
    meter = LatencyMeter(capacity=4)
    assert math.isnan(meter.median()) and "not measured" in meter.summary()
    meter.add(float("nan"))          # no capture time yet: counted, not stored
    assert meter.total == 0 and meter.rejected == 1
    for v in (0.010, 0.020, 0.030):
        meter.add(v)
    assert meter.median() == 0.020
    meter.add(0.100)                  # the cache notices the new value
    assert meter.median() == np.median([0.01, 0.02, 0.03, 0.1])
    meter.add(0.200)                  # the ring drops the oldest
    assert sorted(meter.values) == [0.02, 0.03, 0.1, 0.2]
    assert meter.summary() == "latency median 65.0 ms, p99 197.0 ms (4 frames)"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=50), st.integers(1, 20))
def test_ring_keeps_the_newest_values(values, capacity):
    meter = LatencyMeter(capacity=capacity)
    for v in values:
        meter.add(v)
    newest = values[-capacity:]
    assert sorted(meter.values) == sorted(newest)
    assert meter.p99() == np.percentile(newest, 99)


def test_frame_stats_from_a_real_loop():
    frames = FrameStats(capacity=50, target_fps=500.0)
    deltas, last = [], time.perf_counter()
    for _ in range(80):
        time.sleep(0.001)
        now = time.perf_counter()
        frames.add(now - last)
        deltas.append(now - last)
        last = now
    kept = np.array(deltas[-50:])
    assert frames.total == 80 and frames.filled == 50
    assert math.isclose(frames.fps, 1.0 / kept.mean(), rel_tol=1e-9)
    assert frames.late == sum(d > 1.5 / 500.0 for d in deltas)
    out = np.empty(50)
    assert (frames.ordered(out) == kept).all()


def test_frame_stats_late_frames_and_order():
    frames = FrameStats(capacity=4, target_fps=60.0)
    assert frames.fps == 0.0
    frames.ordered(out := np.ones(4))
    assert (out == 0).all()
    for t in (1 / 60, 1 / 60, 0.03, 1 / 30):      # 25 ms is the threshold at 60 fps
        frames.add(t)
    assert frames.late == 2
    frames.add(0.001)
    assert list(frames.ordered(np.empty(4))) == [1 / 60, 0.03, 1 / 30, 0.001]
    assert math.isclose(frames.fps, 4 / (1 / 60 + 0.03 + 1 / 30 + 0.001))


def test_running_sum_stays_exact_over_many_laps():
    rng = np.random.default_rng(3)
    frames = FrameStats(capacity=240)
    for t in rng.uniform(0.001, 0.2, 100_003):
        frames.add(float(t))
    assert math.isclose(frames.fps, 240 / frames.times.sum(), rel_tol=1e-9)

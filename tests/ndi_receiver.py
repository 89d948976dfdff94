"""An NDI receiver (cyndilib) for the NDI tests; run only inside a private
network namespace (see netns.py). Finds the source whose name holds
argv[1], receives for argv[2] seconds and prints, as JSON: the source's
name, the pictures (numbered as stream_rig.draw_index numbers them, their
mean brightness and size) and the audio samples received."""

import json
import sys
import time

import numpy as np
from cyndilib.audio_frame import AudioRecvFrame
from cyndilib.finder import Finder
from cyndilib.receiver import ReceiveFrameType, Receiver
from cyndilib.video_frame import VideoRecvFrame
from cyndilib.wrapper.ndi_recv import RecvBandwidth, RecvColorFormat
from stream_rig import read_index


def find(finder: Finder, part: str, timeout: float) -> str | None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        finder.wait_for_sources(0.5)
        names = [n for n in finder.get_source_names() if f"({part})" in n]
        if names:
            return names[0]
    return None


def main() -> None:
    part, seconds = sys.argv[1], float(sys.argv[2])
    finder = Finder()
    finder.open()
    name = find(finder, part, 20.0)
    report = {"source": name, "pictures": [], "samples": 0, "found_at": time.monotonic()}
    if name is not None:
        receiver = Receiver(color_format=RecvColorFormat.RGBX_RGBA,
                            bandwidth=RecvBandwidth.highest)
        video, audio = VideoRecvFrame(), AudioRecvFrame()
        receiver.set_video_frame(video)
        receiver.set_audio_frame(audio)
        receiver.set_source(finder.get_source(name))
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            got = receiver.receive(ReceiveFrameType.recv_video | ReceiveFrameType.recv_audio, 200)
            if got & ReceiveFrameType.recv_video:
                data = np.empty(video.get_buffer_size(), np.uint8)
                if video.fill_p_data(data):   # the oldest frame received, taken off the queue
                    rgb = data.reshape(video.yres, video.xres, 4)[..., :3]
                    report["pictures"].append((read_index(rgb), float(rgb.mean()),
                                               video.xres, video.yres))
            if got & ReceiveFrameType.recv_audio:
                data, _ = audio.get_all_read_data()
                report["samples"] += int(data.shape[1])
        receiver.disconnect()
    finder.close()
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()

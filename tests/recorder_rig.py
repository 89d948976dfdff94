"""The live recorder as the live loop drives it: fed through a ProgramOut
(the one read-back every sink shares), with the loop's calls in its order."""

from visualizer.output.recorder import LiveRecorder
from visualizer.output.sink import ProgramOut


class Rig:
    """``submit(texture, t)`` and ``write_audio(block)`` as the loop makes
    them; every other attribute is the recorder's."""

    def __init__(self, ctx, size, path, **kwargs):
        self.recorder = LiveRecorder(size, path, **kwargs)
        self.out = ProgramOut(ctx, in_flight=2, pool=8, wait=False)
        self.out.add(self.recorder)
        self.reads = 0      # pictures read back
        self._index = 0
        submit = self.out._lanes[self.recorder.size][0].submit

        def counted(texture, tag):
            self.reads += 1
            submit(texture, tag)
        self.out._lanes[self.recorder.size][0].submit = counted

    def __getattr__(self, name):
        return getattr(self.recorder, name)

    def write_audio(self, block):
        self.out.sound(block, 0.0)

    def submit(self, texture, t: float) -> None:
        self._index += 1
        self.out.frame(texture, self._index, t)

    def stop(self, wait: bool = True) -> None:
        if not self.recorder._stopped:
            self.out.flush()
        self.recorder.stop(wait=wait)

    def release(self) -> None:
        try:
            self.stop()
        finally:
            self.out.release()

"""The live-control contract: what the live loop asks of every control.

Spelled out once, as vispy's ``app/backends/_template.py`` lists what a
backend implements and python-sounddevice's ``_StreamBase`` is the one base
of every stream: the loop calls these three methods on each control and
nothing else, so it never probes a control for what it can do, and a new
remote (a web remote, Ableton Link) is one subclass in one module.
"""


class Control:
    """A live control: a MIDI input, an OSC server.

    A control turns what a player or a surface does into
    :class:`~visualizer.control.bus.Command` objects posted on the control
    bus, usually from a thread of its own (a port's callback, a socket
    server). It touches nothing else: an error there cannot reach the
    render loop, and all GL stays on the main thread.

    The live loop calls, on the render thread:

    - :meth:`start` once, before the first frame: open ports or sockets and
      begin posting. A control that cannot start raises
      :class:`~visualizer.errors.ControlError` (one line that says what to
      do), leaves nothing open, and the show does not begin.
    - :meth:`poll` once a frame: post what has fallen due by now (a
      footswitch held long enough). It returns at once: it never waits on
      a lock, a socket or a port. The default does nothing.
    - :meth:`stop` once at the end of a show that started it, however the
      show ended: stop posting and close what :meth:`start` opened.
      Idempotent, and bounded in time (a stuck thread is left behind, a
      daemon, rather than waited for).

    Constructing a control opens nothing, except what must fail before the
    window opens (the OSC server binds its port, so a busy port is an error
    on the command line). In a ``with`` block a control is started and
    stopped.
    """

    def start(self) -> None:
        """Open what the control listens to and begin posting commands."""
        raise NotImplementedError

    def poll(self) -> None:
        """Post the commands that have fallen due (the render loop, each frame)."""

    def stop(self) -> None:
        """Stop posting and close what :meth:`start` opened; idempotent."""
        raise NotImplementedError

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

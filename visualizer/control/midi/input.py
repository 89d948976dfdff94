"""The MIDI input: ports -> :class:`~visualizer.control.midi.mapping.MidiMap`
-> the control bus, a live control (:class:`~visualizer.control.base.Control`).

Messages nothing is mapped to (note-offs, clock, sysex, pitch bend) are
counted as ignored, not errors. mido drops bytes a port sends that do not
parse before they reach :meth:`MidiInput.feed`; feed() also takes raw bytes
and counts malformed ones with ``bus.reject``, as it does any exception.
"""

import threading
import time

from visualizer.control.base import Control
from visualizer.control.bus import ControlBus
from visualizer.control.midi.learn import MidiLearn
from visualizer.control.midi.mapping import MidiMap
from visualizer.control.midi.ports import VIRTUAL, backend, list_ports, port_error
from visualizer.errors import ControlError


class MidiInput(Control):
    """MIDI ports -> :class:`MidiMap` -> the control bus. Ports call
    :meth:`feed` from rtmidi's thread; errors there are counted on the bus
    (``bus.rejected``, ``bus.last_error``), never raised. :meth:`poll` posts
    the footswitch actions that fall due, each frame."""

    def __init__(self, bus: ControlBus, mapping: MidiMap, port: str | None = None,
                 learn: MidiLearn | None = None, *, clock=time.monotonic,
                 virtual_name: str = "visualizer"):
        """``port``: (part of) an input's name; None opens every input but
        ALSA's "Midi Through"; "virtual" opens a port of our own named
        ``virtual_name`` for other programs to send to (ALSA, CoreMIDI,
        JACK). Nothing is opened until :meth:`start`."""
        self.bus = bus
        self.mapping = mapping
        self.port = port
        self.learn = learn
        self.clock = clock
        self.virtual_name = virtual_name
        self.received = 0      # messages fed, from ports or tests
        self.ignored = 0       # messages nothing is mapped to (clock, note-off, sysex, ...)
        self.ports: list = []
        self._count = threading.Lock()   # several ports may call feed at once

    def start(self) -> None:
        """Open the input(s) named by ``port``; ControlError if none can be
        (and then none is left open)."""
        if self.port == VIRTUAL:
            self._open(self.virtual_name, virtual=True)
            return
        names = list_ports()
        if self.port is None:
            chosen = [n for n in names if "midi through" not in n.lower()]
            if not chosen:
                raise ControlError(f"MIDI: no input ports (available: {', '.join(names) or 'none'})")
        else:
            exact = [n for n in names if n == self.port]
            chosen = exact or [n for n in names if self.port.lower() in n.lower()][:1]
            if not chosen:
                raise ControlError(f"MIDI input '{self.port}' not found"
                                   f" (available: {', '.join(names) or 'none'})")
        try:
            for name in chosen:
                self._open(name)
        except ControlError:
            self.stop()
            raise

    def _open(self, name: str, virtual: bool = False) -> None:
        try:
            self.ports.append(backend().open_input(name, virtual=virtual, callback=self.feed))
        except (OSError, NotImplementedError) as e:
            raise port_error(e, f"MIDI input '{name}'") from None

    def stop(self) -> None:
        """Close every port (their callbacks stop first); idempotent."""
        for port in self.ports:
            port.close()
        self.ports = []

    def feed(self, msg, now: float | None = None) -> None:
        """Handle one message exactly as a port's callback does: a
        mido.Message, or raw bytes (checked: malformed bytes are rejected).
        ``now`` defaults to the clock."""
        import mido

        with self._count:
            self.received += 1
        try:
            if isinstance(msg, (bytes, bytearray, list, tuple)):
                msg = mido.Message.from_bytes(msg)
            if not isinstance(msg, mido.Message):
                raise TypeError(f"not a MIDI message: {msg!r}")
            if self.learn is not None and self.learn.offer(msg):
                return
            commands = self.mapping.command(msg, self.clock() if now is None else now)
        except Exception as e:   # a control thread must never die: count it, keep going
            self.bus.reject(f"MIDI: {type(e).__name__}: {e}")
            return
        if commands is None:
            with self._count:
                self.ignored += 1
            return
        for command in commands:
            self.bus.post(command)

    def poll(self, now: float | None = None) -> int:
        """Post the footswitch actions due by ``now``; the render loop calls
        this each frame. Returns how many it posted."""
        commands = self.mapping.poll(self.clock() if now is None else now)
        for command in commands:
            self.bus.post(command)
        return len(commands)

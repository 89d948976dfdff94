"""ISF ``event`` inputs as one-frame pulses (data only, no GL).

In ISF an event is a momentary trigger: the shader sees it true for one
frame, then false. Here an event is a switch (a bool parameter, so keys,
MIDI, OSC and the web remote set it like any other); what the shader sees is
its rising edge: true in the frame the switch turns on, false after, while
it stays on. To fire again the switch goes off and on again (a momentary
button does just that).
"""


class EventPulses:
    """Turns the switches of a scene's event inputs into one-frame pulses."""

    def __init__(self, names=()):
        self.names = tuple(names)
        self._state = {name: (False, None) for name in self.names}   # (was on, frame fired)

    def __bool__(self) -> bool:
        return bool(self.names)

    def apply(self, values: dict, frame: int) -> dict:
        """``values`` with each event's switch replaced by its pulse: true
        only in ``frame``, the frame in which the switch turned on. Every
        draw of that frame (a transition draws a scene twice) sees the same."""
        out = dict(values)
        for name in self.names:
            on = bool(values.get(name, False))
            was, fired = self._state[name]
            if on and not was:
                fired = frame
            elif not on:
                fired = None
            self._state[name] = (on, fired)
            out[name] = on and fired == frame
        return out

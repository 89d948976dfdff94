"""The keyboard, as names: what each key does in a show, and MIDI learn's
keys. A display turns its toolkit's key events into names (``LEFT``,
``SPACE``, ``B``, ``1``...: pyglet's symbol strings without the leading
underscore) and hands them to :meth:`Keys.press`; nothing here knows a
windowing toolkit."""

from visualizer.control.bus import TOGGLE, Command, ControlBus

KEYMAP = {"LEFT": ("prev_scene",), "RIGHT": ("next_scene",), "UP": ("prev_cue",),
          "DOWN": ("next_cue",), "PAGEUP": ("prev_cue",), "PAGEDOWN": ("next_cue",),
          "SPACE": ("tap",), "B": ("blackout", TOGGLE), "F": ("freeze", TOGGLE),
          "H": ("hud", TOGGLE), "R": ("record", TOGGLE), "A": ("auto", TOGGLE),
          "K": ("look",)}
"""A key's command (and its value: TOGGLE flips a switch). 1-9 pick a scene
of the current bank, 0 the next bank, F1-F12 turn the effects on and off in
their order (see :class:`Keys`)."""
FX_KEYS = tuple(f"F{n}" for n in range(1, 13))

MODIFIERS = frozenset(("LSHIFT", "RSHIFT", "LCTRL", "RCTRL", "LALT", "RALT", "LMETA", "RMETA",
                       "CAPSLOCK"))

LEARN_ACTIONS = {"I": "intensity", "N": "next_cue", "P": "prev_cue", "T": "tap",
                 "B": "blackout", "F": "freeze", "R": "record", "A": "auto", "H": "hud"}
LEARN_HINT = ("MIDI learn: 1-9 a parameter, S the scene, F1-F12 an effect on/off, "
              "Shift+F1-F12 its main parameter, I N P T B F R A H an action")


BANK = 9
"""Scenes a bank holds: keys 1-9 pick in the bank, 0 moves to the next one."""


class Keys:
    """Key presses to commands on ``bus``; ``L`` starts MIDI learn when there
    is a ``learn`` (a MidiLearn): then the next key names what the control
    moved binds to. With more than nine ``scenes``, 1-9 pick among the
    current bank of nine and 0 moves to the next bank (after the last, the
    first again)."""

    def __init__(self, bus: ControlBus, learn=None, scenes: int = BANK,
                 effects: tuple[str, ...] = (), knobs: dict[str, str] | None = None):
        self.bus, self.learn = bus, learn
        self.scenes = scenes
        self.effects = tuple(effects)   # F1.. toggle them in this order
        self.knobs = dict(knobs or {})  # effect -> the parameter L, Shift+Fn gives a knob
        self.bank = 0
        self.learning = False     # L pressed: the next key picks what MIDI learn binds

    @property
    def banks(self) -> int:
        return max(1, -(-self.scenes // BANK))

    def bank_text(self) -> str:
        """Which scenes keys 1-9 pick now ('' while there is one bank)."""
        if self.banks == 1:
            return ""
        first = self.bank * BANK + 1
        return f"bank {self.bank + 1}: {first}-{min(first + BANK - 1, self.scenes)}"

    def press(self, name: str, scene: str = "", params: tuple = ()) -> bool:
        """One key, by name; ``scene`` and its ``params`` are on screen now
        (what learn's 1-9 and S bind). False for Esc outside learn: quit."""
        name = name.lstrip("_") or name
        if self.learning:
            self._learn_key(name, scene, params)
        elif name == "L" and self.learn is not None:
            self.learning = True
            self.learn.listen()   # a control moved now is bound by the key that follows
        elif name == "0" and self.banks > 1:
            self.bank = (self.bank + 1) % self.banks
        elif name.isdigit() and 1 <= int(name) <= 9:
            index = self.bank * BANK + int(name) - 1
            self.bus.post(Command("scene_index", value=index, source="key"))
        elif name in FX_KEYS[:len(self.effects)]:
            fx = self.effects[FX_KEYS.index(name)]
            self.bus.post(Command("fx", target=fx, value=TOGGLE, source="key"))
        elif name.startswith("SHIFT+") and name[6:] in FX_KEYS[:len(self.effects)]:
            fx = self.effects[FX_KEYS.index(name[6:])]   # Shift+F1: that effect's next look
            self.bus.post(Command("fx_look", scene=fx, source="key"))
        elif name in KEYMAP:
            action, *value = KEYMAP[name]
            self.bus.post(Command(action, value=value[0] if value else 0.0, source="key"))
        elif name == "ESCAPE":
            return False
        return True

    def _learn_key(self, name: str, scene: str, params: tuple) -> None:
        """In learn mode: 1-9 pick a parameter of the current scene, S the
        scene itself, a letter an action (I intensity, N/P next/previous cue,
        T tap, B blackout, F freeze, R record, A auto, H HUD); Esc cancels.
        The control moved since L, or else the next one, is bound to it and
        saved."""
        if name in MODIFIERS:
            return   # Shift and friends: still waiting for the key
        learn, self.learning = self.learn, False
        target = None
        if name.isdigit() and 1 <= int(name) <= len(params):
            target = ("param", scene, params[int(name) - 1])
        elif name == "S":
            target = ("scene", scene)
        elif name in FX_KEYS[:len(self.effects)]:
            target = ("fx", self.effects[FX_KEYS.index(name)])
        elif name.startswith("SHIFT+") and name[6:] in FX_KEYS[:len(self.effects)]:
            fx = self.effects[FX_KEYS.index(name[6:])]   # the effect's main parameter
            target = ("fx_param", fx, self.knobs[fx]) if fx in self.knobs else None
        elif name in LEARN_ACTIONS:
            target = LEARN_ACTIONS[name]
        try:
            if target is None:   # Esc, or a key that names nothing: MIDI works as before
                learn.cancel()
            else:
                learn.arm(target)
        except Exception as e:  # noqa: BLE001 -- a target that cannot be bound is shown, not fatal
            learn.cancel()
            self.bus.failed += 1
            self.bus.last_error = f"MIDI learn: {e}"

    def hint(self) -> str:
        """What the HUD says about MIDI learn now ('' nothing)."""
        learn = self.learn
        if self.learning:
            return LEARN_HINT
        if learn is not None and (learn.armed or learn.last):
            return f"MIDI learn: {learn.last or 'move a control'}"
        return ""

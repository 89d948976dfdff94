"""Keys by name: every scene reachable from the keyboard, in banks of nine."""

from visualizer.control.bus import ControlBus
from visualizer.control.keys import Keys


def commands(bus: ControlBus) -> list[tuple[str, float]]:
    return [(c.action, c.value) for c in bus.drain()]


def test_past_nine_scenes_0_moves_to_the_next_bank_of_nine():
    bus = ControlBus()
    keys = Keys(bus, scenes=13)
    assert keys.banks == 2 and keys.bank_text() == "bank 1: 1-9"
    keys.press("_1")
    keys.press("0")
    assert keys.bank_text() == "bank 2: 10-13"
    keys.press("_1")
    keys.press("4")
    keys.press("0")          # after the last bank, the first again
    keys.press("9")
    assert commands(bus) == [("scene_index", 0), ("scene_index", 9), ("scene_index", 12),
                             ("scene_index", 8)]


def test_with_nine_scenes_or_fewer_0_does_nothing():
    bus = ControlBus()
    keys = Keys(bus, scenes=9)
    keys.press("0")
    keys.press("_3")
    assert keys.bank_text() == "" and commands(bus) == [("scene_index", 2)]


def test_esc_asks_to_quit_and_other_keys_post_their_commands():
    bus = ControlBus()
    keys = Keys(bus)
    assert keys.press("ESCAPE") is False
    assert keys.press("B") is True
    assert commands(bus)[0][0] == "blackout"

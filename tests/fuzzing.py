"""The fuzz suite's shared pieces: its budget and its tally per boundary.

Every door to the outside world (OSC datagrams, MIDI messages, scene,
timeline, setlist and MIDI-map files, shaders, audio files, command-line
arguments) has a ``tests/test_fuzz_*.py`` that throws generated hostile input
at it through the same code a user's input takes. ``make test`` runs a
bounded, derandomised pass (the same cases on every run, about a minute in
all); ``make fuzz`` sets ``VISUALIZER_FUZZ=campaign`` for a long random
campaign. Either way the tally (cases tried and survived per boundary) is
printed at the end of the run.
"""

import os
from collections import defaultdict

from hypothesis import HealthCheck, settings

CAMPAIGN = os.environ.get("VISUALIZER_FUZZ") == "campaign"
"""True under ``make fuzz``: random cases, many of them."""

_TALLY: dict[str, list[int]] = defaultdict(lambda: [0, 0])


def budget(ci: int, *, campaign: int | None = None) -> settings:
    """Hypothesis settings for a fuzz property: ``ci`` cases in ``make test``
    (derandomised, so CI does not find new failures at random), ``campaign``
    (default 40 x ``ci``) random cases under ``make fuzz``."""
    return settings(
        max_examples=(campaign or 40 * ci) if CAMPAIGN else ci,
        derandomize=not CAMPAIGN,
        database=None,
        deadline=None,   # a busy CI machine is slow; each property bounds its own time
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                               HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
        print_blob=True,
    )


class Case:
    """Counts one generated case at ``boundary``: tried on entry, survived
    when the block finishes without an assertion failing.

        with Case("osc"):
            send(datagram)
            assert show_alive()
    """

    def __init__(self, boundary: str):
        self.boundary = boundary

    def __enter__(self) -> "Case":
        _TALLY[self.boundary][0] += 1
        return self

    def __exit__(self, kind, value, tb) -> bool:
        if kind is None:
            _TALLY[self.boundary][1] += 1
        return False


def tally() -> dict[str, tuple[int, int]]:
    """{boundary: (tried, survived)} so far in this run."""
    return {k: (v[0], v[1]) for k, v in sorted(_TALLY.items())}


def valid_command(command, *, source: str, scenes: list[str], params: dict[str, list[str]],
                  effects: dict[str, list[str]]) -> bool:
    """Whether a command a remote made from hostile input is one the show may
    be asked (the remote checked what it names); the OSC and web fuzz suites'
    one judge."""
    import math
    from visualizer.control.bus import ACTIONS, Command
    if not (isinstance(command, Command) and command.action in ACTIONS
            and command.source == source and math.isfinite(command.value)):
        return False
    if command.action == "scene":
        return command.target in scenes
    if command.action == "scene_index":
        return command.value in range(len(scenes))
    if command.action == "param":
        names = [command.scene] if command.scene else list(params)
        return any(command.target in params[s] for s in names)
    if command.action == "look":   # a look is a name of the scene on screen: the show checks it
        return isinstance(command.target, str) and not command.scene
    if command.action == "fx":
        return command.target in effects and (not command.scene or command.scene in scenes)
    if command.action == "fx_look":   # a look is a name: the show checks it
        return command.scene in effects and isinstance(command.target, str)
    if command.action == "fx_param":
        return command.scene in effects and command.target in effects[command.scene]
    return command.action == "song" or not command.target

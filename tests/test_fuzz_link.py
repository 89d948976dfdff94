"""Fuzz: hostile datagrams at the Ableton Link door.

``tests/link_fuzz_rig.py``, in a network namespace of its own (loopback
only), runs the show following a real Link peer and sends it, a batch each
frame, random bytes and real discovery messages damaged or forged (see the
rig). Property, every frame during and after: the show goes on (no frame
fails, the process ends cleanly), the beat features are finite and in range
(tempo 20..999 BPM, phases in 0..1), and it is still in a session.

Link has no authentication: it trusts the local network, and a forged
timeline with a larger beat origin wins the session (Link's own rule), so a
hostile device can set the tempo. The show cannot prevent that; it only
must not break, and the HUD's LINK row shows the odd peers and tempo.
"""

from pathlib import Path

import pytest

from fuzzing import CAMPAIGN, Case
from link_rig import in_private_network

pytestmark = pytest.mark.fuzz

RIG = Path(__file__).resolve().parent / "link_fuzz_rig.py"


@pytest.mark.parametrize("seed", [1, 2])
def test_hostile_link_traffic_never_breaks_the_show(seed):
    batches = 600 if CAMPAIGN else 100
    result = in_private_network(RIG, str(batches), "20", str(seed), timeout=600)
    assert result["batches"] == batches and result["caught"] >= 2
    for ok in result["in_range"]:
        with Case("link"):
            assert ok
    tempo, peers = result["end"][-1][:2]
    assert peers >= 1 and 20 <= tempo <= 999
    assert result["faults"] == 0

"""MIDI control: foot pedals, pads, knobs and program changes post commands
to the control bus (mido over python-rtmidi).

- :mod:`.input`: :class:`MidiInput`, the live control: ports -> mapping -> bus.
- :mod:`.mapping`: :class:`MidiMap`, the mapping file (TOML): its format,
  its checks, and the commands a message asks for.
- :mod:`.bindings`: what a mapped control does when it moves: a binding's
  commands, a footswitch's press, hold and double.
- :mod:`.learn`: :class:`MidiLearn`, binding the next control that moves.
- :mod:`.mapfile`: writing the mapping file, keeping the player's comments.
- :mod:`.ports`: mido's backend, the port names, one-line port errors.
"""

from visualizer.control.midi.input import MidiInput
from visualizer.control.midi.learn import MidiLearn
from visualizer.control.midi.mapfile import dumps
from visualizer.control.midi.mapping import MidiMap
from visualizer.control.midi.ports import list_ports

__all__ = ["MidiInput", "MidiLearn", "MidiMap", "dumps", "list_ports"]

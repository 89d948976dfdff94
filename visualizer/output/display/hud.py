"""The heads-up display: what the show knows about itself, over the live picture.

A translucent panel in the top-left corner, drawn with pyglet in one batch on
the window's GL context after the picture (and after the picture was
recorded, so it never reaches a recording). The render loop fills one
:class:`HudStats` in place each frame; :meth:`Hud.draw` moves the level meter,
the beat dot and the frame-time graph every frame by rewriting the vertex
data of shapes made once, and sets label texts at most ``TEXT_RATE`` times a
second and only when they changed, because a new text is re-laid out.
"""

import math
import time

import numpy as np

from visualizer.analysis.tuning import note_name
from visualizer.output.display.hud_remote import RemoteBadge
from visualizer.output.display.stats import CLIP_DBFS, CLIP_HOLD, TEXT_RATE, FrameStats, HudStats, LatencyMeter  # noqa: F401

METER_FLOOR = -60.0      # dBFS at the meter's left end
METER_AMBER = -12.0      # green below, amber from here
METER_RED = -3.0         # red from here
METER_FALL = 24.0        # dB per second the meter falls (it rises at once)
GRAPH_SPAN = 3.0         # the graph's height in target periods

PANEL = (12, 14, 20, 200)
ACCENT = (64, 200, 190, 255)
KEY = (140, 148, 160, 255)
VALUE = (236, 239, 244, 255)
DIM = (84, 90, 100, 255)
GREEN = (70, 205, 110, 255)
AMBER = (255, 184, 56, 255)
RED = (240, 52, 44, 255)
TRACK = (40, 44, 52, 255)
LAMP_OFF = (62, 30, 30, 255)
GRAPH_OK = (110, 190, 160, 190)
GRAPH_LATE = (255, 96, 64, 255)
FONT = ["DejaVu Sans Mono", "Menlo", "Consolas", "Liberation Mono", "monospace"]


def note_text(note: int, cents: float) -> str:
    """'F#4 -12c', or '—' when unvoiced (``note`` < 0)."""
    if not note >= 0:   # also NaN
        return "—"
    name = note_name(int(note))
    return f"{name} {cents:+.0f}c" if math.isfinite(cents) else name


class Hud:
    """The HUD of one pyglet window. Call :meth:`draw` on the window's thread.

    ``clock`` gives seconds (injected so tests can step it); it paces the
    label updates and the meter's fall.
    """

    def __init__(self, window, *, clock=time.perf_counter):
        import pyglet
        self._pyglet = pyglet
        self._window = window
        self._clock = clock
        self._size = (0, 0)
        self._capacity = 0
        self._parts: list = []      # every shape and label, for release
        self._graph = None          # the frame-time bars' vertex list
        self._badge = None          # the web remote's QR code and PIN (hud_remote.py)
        self._link_row = False      # a LINK row (Ableton Link is on)
        self._state: dict = {}      # last value given to each lamp, chip and bar
        self._meter_db = METER_FLOOR
        self._last_draw = math.nan
        self._next_text = -math.inf
        self.release()   # sets the per-layout fields to "none yet"

    # -- per frame --------------------------------------------------------

    def draw(self, stats: HudStats) -> None:
        """Draw over whatever the bound framebuffer (the window) holds."""
        window = self._window
        if ((window.width, window.height) != self._size or stats.frames.capacity != self._capacity
                or bool(stats.link) != self._link_row):
            self._link_row = bool(stats.link)
            self._layout(window.width, window.height, stats.frames.capacity)
        now = self._clock()
        dt = 0.0 if math.isnan(self._last_draw) else now - self._last_draw
        self._last_draw = now
        if now >= self._next_text:
            self._next_text = now + 1.0 / TEXT_RATE
            self._update_text(stats)
        self._update_meter(stats, dt)
        self._update_beat(stats)
        self._update_graph(stats.frames)
        gl = self._pyglet.gl
        # pyglet's projection is in window units; the viewport must cover the
        # whole framebuffer, whatever the renderer's last pass left.
        gl.glViewport(0, 0, *window.get_framebuffer_size())
        self._batch.draw()
        if stats.remote:
            if self._badge is None:
                self._badge = RemoteBadge(window)
            self._badge.draw(stats.remote, stats.remote_qr)

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """The panel's (x, y, width, height) in window units, y up; zeros before the first draw."""
        if not self._parts:
            return (0, 0, 0, 0)
        p = self._panel
        return (round(p.x), round(p.y), round(p.width), round(p.height))

    def _set(self, key, value) -> bool:
        """Remember ``value`` under ``key``; True if it changed."""
        if self._state.get(key) == value:
            return False
        self._state[key] = value
        return True

    def _update_text(self, stats: HudStats) -> None:
        L = self._labels
        frames, latency = stats.frames, stats.latency
        self._text(L["scene"], self._fit(stats.scene or "—", self._chars - 2))  # a larger font
        self._text(L["next"], self._fit(stats.next_cue or "—", self._chars))
        self._text(L["note"], note_text(stats.note, stats.cents))
        self._text(L["tempo"], f"{stats.tempo:.1f} BPM" if stats.tempo > 0 else "—")
        level = stats.level_dbfs if stats.level_dbfs > -99.0 else -99.0   # also NaN
        self._text(L["level"], f"{level:.0f} dB")
        if latency.total:
            self._text(L["latency"], f"{latency.median() * 1000:.1f} ms (p99 {latency.p99() * 1000:.1f})")
        else:
            self._text(L["latency"], "—")
        self._text(L["fps"], f"{frames.fps:.1f} / {frames.target_fps:.0f}  late {frames.late}")
        self._text(L["drops"], f"frames {stats.dropped_frames}  input {stats.input_overflows}")
        self._text(L["target"], f"frame time   target {frames.target_period * 1000:.1f} ms")
        if self._link_row:
            self._text(L["link"], self._fit(stats.link, self._chars + 2))   # a smaller font
        for name, on, colour in (("rec", stats.recording, RED), ("blackout", stats.blackout, VALUE),
                                 ("freeze", stats.freeze, ACCENT), ("auto", stats.auto, GREEN)):
            if self._set(name, on):
                self._chips[name].color = colour if on else TRACK
                L[name].color = (16, 18, 22, 255) if on else DIM
        if self._set("clip", stats.clipping):
            self._lamp.color = RED if stats.clipping else LAMP_OFF
            L["clip"].color = (255, 255, 255, 255) if stats.clipping else (120, 70, 70, 255)
        if self._text(L["warn"], stats.warnings):
            # The panel grows downwards to hold the warning (which may wrap).
            bottom = self._warn_top - (L["warn"].content_height if stats.warnings else 0) - self._pad
            self._panel.y, self._panel.height = bottom, self._top - bottom

    def _text(self, label, text: str) -> bool:
        if label.text == text:
            return False
        label.text = text
        return True

    @staticmethod
    def _fit(text: str, chars: int) -> str:
        return text if len(text) <= chars else text[:chars - 1] + "…"

    def _update_meter(self, stats: HudStats, dt: float) -> None:
        # Rises at once, falls at METER_FALL dB/s: a jumpy RMS reads as a level.
        level = stats.level_dbfs if stats.level_dbfs > METER_FLOOR else METER_FLOOR  # also NaN
        self._meter_db = min(max(level, self._meter_db - METER_FALL * dt), 0.0)
        fill = round((self._meter_db - METER_FLOOR) / -METER_FLOOR * self._meter_w)
        if self._set("meter", fill):
            for rect, start, end in self._segments:
                rect.width = min(max(fill - start, 0), end - start)

    def _update_beat(self, stats: HudStats) -> None:
        # A flash on the beat that fades over the first fifth of the beat.
        phase = stats.beat_phase
        flash = 1.0 - phase / 0.2 if stats.tempo > 0 and 0.0 <= phase < 0.2 else 0.0  # NaN: dark
        step = round(flash * 16)
        if self._set("beat", step):
            k = step / 16
            self._beat.color = tuple(round(d + (a - d) * k) for d, a in zip(DIM, AMBER))

    def _update_graph(self, frames: FrameStats) -> None:
        times, heights, late = self._times, self._heights, self._late
        frames.ordered(times)
        np.greater(times, frames.LATE_FACTOR * frames.target_period, out=late[:, 0, 0])
        np.multiply(times, self._graph_h / (GRAPH_SPAN * frames.target_period), out=heights)
        np.minimum(heights, self._graph_h, out=heights)
        pos_region, col_region = self._graph.position, self._graph.colors  # marks them for upload
        if pos_region is not self._regions[0] or col_region is not self._regions[1]:
            # pyglet moved the vertex data (its buffer grew): view the new place.
            self._regions = (pos_region, col_region)
            self._pos = np.ctypeslib.as_array(pos_region).reshape(-1, 6, 2)
            self._col = np.ctypeslib.as_array(col_region).reshape(-1, 6, 4)
        pos, col = self._pos, self._col
        # Each bar is two triangles; vertices 2, 4 and 5 are its top.
        np.add(heights, self._graph_y, out=pos[:, 2, 1])
        pos[:, 4, 1] = pos[:, 2, 1]
        pos[:, 5, 1] = pos[:, 2, 1]
        col[:] = self._ok_colour
        np.copyto(col, self._late_colour, where=late)

    # -- layout -----------------------------------------------------------

    def _layout(self, width: int, height: int, capacity: int) -> None:
        """Make every shape and label for this window size (on open and resize)."""
        self.release()
        pyglet = self._pyglet
        self._size, self._capacity = (width, height), capacity
        self._state.clear()
        self._next_text = -math.inf
        self._batch = pyglet.graphics.Batch()
        # Drawn in this order: panel, tracks and chips, what moves, text.
        self._groups = [pyglet.graphics.Group(order=i) for i in range(4)]

        line = self._line = max(11.0, height / 28)   # a row: 26 px at 720p, 39 px at 1080p
        self._px = line * 0.56                        # font size in pixels
        self._char = self._px * 0.61                  # DejaVu Sans Mono's advance
        self._pad = round(line * 0.5)
        self._key_w, self._value_w = round(self._char * 8.5), round(self._char * 22)
        self._chars = 22
        self._panel_w = self._key_w + self._value_w + 2 * self._pad
        self._left, self._top = round(line * 0.5), height - round(line * 0.5)
        self._vx = self._left + self._pad + self._key_w   # where values start

        self._panel = self._rect(self._left, 0, self._panel_w, 0, PANEL, 0, radius=line * 0.3)
        self._rect(self._left + self._pad, self._top - 2, self._panel_w - 2 * self._pad, 2, ACCENT, 1)
        self._labels = {}
        self._layout_chips()
        self._layout_rows()
        self._layout_meter()
        self._layout_graph(capacity)
        # Warnings: amber, below the graph, wrapped to the panel's width.
        self._warn_top = self._graph_y - round(line * 0.3)
        self._labels["warn"] = self._label("", self._left + self._pad, self._warn_top, AMBER, 0.85,
                                           multiline=True, width=self._panel_w - 2 * self._pad,
                                           anchor_y="top")
        self._panel.y, self._panel.height = self._warn_top - self._pad, self._top - self._warn_top + self._pad

    def _row(self, i: int) -> float:
        """The middle of row ``i``, in window units."""
        return self._top - self._pad - (i + 0.5) * self._line

    def _label(self, text, x, y, color=VALUE, size=1.0, anchor_y="center", **kw):
        label = self._pyglet.text.Label(
            text, x=x, y=y, font_name=FONT, font_size=self._px * size * 0.75, color=color,
            anchor_y=anchor_y, batch=self._batch, group=self._groups[3], **kw)
        self._parts.append(label)
        return label

    def _rect(self, x, y, w, h, color, order: int, radius: float = 0.0):
        shapes, group = self._pyglet.shapes, self._groups[order]
        if radius:
            r = shapes.RoundedRectangle(x, y, w, h, round(radius), color=color, batch=self._batch,
                                        group=group)
        else:
            r = shapes.Rectangle(x, y, w, h, color=color, batch=self._batch, group=group)
        self._parts.append(r)
        return r

    def _layout_chips(self) -> None:
        """Row 0: REC, BLACKOUT, FREEZE, AUTO, lit when on."""
        line, y = self._line, self._row(0)
        self._chip_h = round(line * 0.78)
        self._chips = {}
        x = self._left + self._pad
        for name, text in (("rec", "● REC"), ("blackout", "BLACKOUT"), ("freeze", "FREEZE"),
                           ("auto", "AUTO")):
            label = self._labels[name] = self._label(text, x, y, DIM, 0.8, anchor_x="center",
                                                     weight="bold")
            w = round(label.content_width + line * 0.45)   # measured: small sizes hint wider
            label.x = x + w / 2
            self._chips[name] = self._rect(x, y - self._chip_h / 2, w, self._chip_h, TRACK, 1,
                                           radius=line * 0.15)
            x += w + round(line * 0.25)

    def _layout_rows(self) -> None:
        """Rows 1-8 (9 with Ableton Link): a key on the left, its value on a shared baseline."""
        self._base = self._px * 0.36   # baseline below the row's middle
        keys = ("scene", "next", "note", "tempo", "level", "latency", "fps", "drops")
        titles = ("SCENE", "NEXT", "NOTE", "TEMPO", "LEVEL", "LATENCY", "FPS", "DROPPED")
        if self._link_row:   # peers, the session's tempo and who leads it
            keys, titles = keys + ("link",), titles + ("LINK",)
        for i, (name, title) in enumerate(zip(keys, titles), start=1):
            y = self._row(i) - self._base
            self._label(title, self._left + self._pad, y, KEY, 0.8, anchor_y="baseline")
            if name != "level":
                self._labels[name] = self._label("", self._vx, y, anchor_y="baseline",
                                                 size={"scene": 1.1, "link": 0.9}.get(name, 1.0))
        # The beat dot, at the end of the tempo row.
        dot = self._line * 0.28
        self._beat = self._pyglet.shapes.Circle(
            self._left + self._panel_w - self._pad - dot, self._row(4), dot, segments=24,
            color=DIM, batch=self._batch, group=self._groups[2])
        self._parts.append(self._beat)

    def _layout_meter(self) -> None:
        """Row 5: the level meter, its dB figure and the clip lamp."""
        line, y, L = self._line, self._row(5), self._labels
        L["clip"] = self._label("CLIP", 0, y, (120, 70, 70, 255), 0.8, anchor_x="center", weight="bold")
        lamp_w = round(L["clip"].content_width + line * 0.4)
        db_w = round(self._char * 6.5)
        w = self._meter_w = self._value_w - lamp_w - db_w - round(line * 0.3)
        h = round(line * 0.42)
        self._rect(self._vx, y - h / 2, w, h, TRACK, 1)
        amber = round((METER_AMBER - METER_FLOOR) / -METER_FLOOR * w)
        red = round((METER_RED - METER_FLOOR) / -METER_FLOOR * w)
        self._segments = [(self._rect(self._vx + a, y - h / 2, 0, h, colour, 2), a, b)
                          for a, b, colour in ((0, amber, GREEN), (amber, red, AMBER), (red, w, RED))]
        L["level"] = self._label("", self._vx + w + db_w, y - self._base, VALUE, 0.9,
                                 anchor_x="right", anchor_y="baseline")
        lx = self._vx + self._value_w - lamp_w
        self._lamp = self._rect(lx, y - self._chip_h / 2, lamp_w, self._chip_h, LAMP_OFF, 2,
                                radius=line * 0.15)
        L["clip"].x = lx + lamp_w / 2

    def _layout_graph(self, capacity: int) -> None:
        """Below the rows: one bar per frame time, oldest on the left, a line at the target."""
        line, x = self._line, self._left + self._pad
        w, h = self._panel_w - 2 * self._pad, round(line * 2.4)
        rows = 9 if self._link_row else 8
        y = self._graph_y = self._row(rows) - line / 2 - round(line * 0.35) - h
        self._graph_h = h
        self._rect(x, y, w, h, (0, 0, 0, 90), 1)
        target_y = y + h / GRAPH_SPAN
        self._rect(x, target_y, w, max(1, round(line * 0.05)), (255, 255, 255, 120), 3)
        self._labels["target"] = self._label("", x + round(line * 0.2), y + h - line * 0.3, KEY, 0.7)
        self._graph = self._bars(x, y, w, capacity)
        self._times = np.zeros(capacity, np.float64)
        self._heights = np.zeros(capacity, np.float32)
        self._late = np.zeros((capacity, 1, 1), bool)
        self._ok_colour = np.array(GRAPH_OK, np.uint8)
        self._late_colour = np.array(GRAPH_LATE, np.uint8)

    def _bars(self, x: float, y: float, w: float, n: int):
        """One vertex list of ``n`` bars (6 vertices each) in the shapes' shader."""
        pyglet = self._pyglet
        program = pyglet.shapes.get_default_shader()
        edges = x + np.arange(n + 1) * (w / n)
        pos = np.empty((n, 6, 2), np.float32)
        pos[:, :, 1] = y
        pos[:, [0, 3, 5], 0] = edges[:-1, None]
        pos[:, [1, 2, 4], 0] = edges[1:, None]
        # The shapes' own group class: their shader, alpha blending on, then off.
        blended = pyglet.shapes.ShapeBase.group_class(
            pyglet.gl.GL_SRC_ALPHA, pyglet.gl.GL_ONE_MINUS_SRC_ALPHA, program, self._groups[2])
        return program.vertex_list(
            n * 6, pyglet.gl.GL_TRIANGLES, self._batch, blended,
            position=("f", pos.ravel()), colors=("Bn", GRAPH_OK * (n * 6)),
            translation=("f", np.zeros(n * 12, np.float32)),
            rotation=("f", np.zeros(n * 6, np.float32)))

    def release(self) -> None:
        """Delete every shape, label and vertex list (also done on resize)."""
        for part in self._parts:
            part.delete()
        self._parts.clear()
        if self._graph is not None:
            self._graph.delete()
            self._graph = None
        self._panel = self._beat = self._lamp = self._batch = None
        self._groups = []
        if self._badge is not None:
            self._badge.release()
            self._badge = None
        self._labels, self._chips, self._segments = {}, {}, []
        self._regions = (None, None)
        self._pos = self._col = None
        self._size = (0, 0)

    delete = release

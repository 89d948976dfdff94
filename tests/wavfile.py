"""WAV files in every sample format, written byte by byte, so that tests can
plant NaN, inf, absurd magnitudes and a header that lies (``write_wav`` in
conftest writes clean 16-bit only)."""

import struct

import numpy as np

FORMATS = {  # name: (WAVE format tag: 1 integer PCM, 3 IEEE float; bits per sample)
    "u8": (1, 8), "s16": (1, 16), "s24": (1, 24), "s32": (1, 32), "f32": (3, 32), "f64": (3, 64),
}


def sample_bytes(x: np.ndarray, fmt: str) -> bytes:
    """Samples (n, channels) as ``fmt`` stores them: floats as they are
    (NaN and all), integers scaled from -1..1 (clipped, NaN as 0)."""
    tag, bits = FORMATS[fmt]
    if tag == 3:
        return np.asarray(x, "<f4" if bits == 32 else "<f8").tobytes()
    x = np.clip(np.nan_to_num(np.asarray(x, np.float64)), -1.0, 1.0)
    if fmt == "u8":
        return np.round(x * 127 + 128).astype("u1").tobytes()
    v = np.round(x * (2 ** (bits - 1) - 1)).astype("<i4")
    if bits == 24:
        return v.view("u1").reshape(-1, 4)[:, :3].tobytes()
    return v.astype("<i2" if bits == 16 else "<i4").tobytes()


def wav_bytes(x: np.ndarray, *, rate: int, fmt: str = "f32", channels: int | None = None,
              data: bytes | None = None, declared: int | None = None) -> bytes:
    """A RIFF/WAVE file of ``x`` ((n,) or (n, channels) floats) in ``fmt``.

    ``data`` replaces the sample bytes (random payloads), ``channels`` the
    channel count the header claims, ``declared`` the data size it claims
    (a file cut short says more than it holds).
    """
    x = np.asarray(x)
    x = x[:, None] if x.ndim == 1 else x
    tag, bits = FORMATS[fmt]
    ch = x.shape[1] if channels is None else channels
    payload = sample_bytes(x, fmt) if data is None else data
    align = ch * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", tag, ch, rate, (rate * align) & 0xFFFFFFFF, align & 0xFFFF,
                            bits)
    size = len(payload) if declared is None else declared
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk
            + b"data" + struct.pack("<I", size & 0xFFFFFFFF) + payload)
    return b"RIFF" + struct.pack("<I", len(body)) + body

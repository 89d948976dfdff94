// Reading the audio: interpolated bands, a band by frequency, the waveform.
#ifndef LIB_SPECTRUM
#define LIB_SPECTRUM

// iBands (48 log bands, 30 Hz .. 16 kHz) with linear interpolation, x in 0..1.
float bandLerp(float x) {
    float f = clamp(x, 0.0, 1.0) * 47.0;
    int i = int(floor(f));
    int j = min(i + 1, 47);
    return mix(iBands[i], iBands[j], fract(f));
}

// Band energy at a frequency in Hz (0 outside 30 Hz .. 16 kHz).
float bandAtHz(float hz) {
    if (hz < 30.0 || hz > 16000.0) return 0.0;
    return bandLerp(log(hz / 30.0) / log(16000.0 / 30.0));
}

// The waveform row of iChannel0 at x in 0..1, as -1..1.
float waveAt(float x) {
    return texture(iChannel0, vec2(clamp(x, 0.0, 1.0), 0.75)).x * 2.0 - 1.0;
}

// The spectrum row of iChannel0 at x in 0..1 (0..1, WebAudio scaling).
float spectrumAt(float x) {
    return texture(iChannel0, vec2(clamp(x, 0.0, 1.0), 0.25)).x;
}
#endif

// A smoothed note from a float parameter bound to the `note` feature with
// gain 0.02 (one semitone = 0.02; its attack and release smooth the glide).
// Drawn without bindings (the value exactly 0 while a note sounds) it falls
// back to iNote; before the first note it gives `rest`.
#ifndef LIB_SPECTRUM_NOTE
#define LIB_SPECTRUM_NOTE
float boundNote(float value, float rest) {
    float n = value / 0.02;
    if (value == 0.0 && iNote > 0.0) n = iNote;
    return n < 1.0 ? rest : n;
}
#endif

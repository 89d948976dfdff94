"""Zero-lag analysis of an audio file: the file decoded block by block into
:func:`~visualizer.analysis.track.analyze_blocks`.

Kept apart from :mod:`~visualizer.analysis.track` so that the data model and
the zero-lag transform know nothing of decoding files; this is the one
module of the analysis that reads audio.
"""

from visualizer.analysis.analyzer import AnalyzerSettings
from visualizer.analysis.track import FeatureTrack, analyze_blocks
from visualizer.audio.file_source import FileSource, mono


def analyze_file(path, *, sample_rate: int = 48000,
                 settings: AnalyzerSettings | None = None) -> FeatureTrack:
    """Analyse an audio file, decoding it block by block (memory stays small)."""

    def blocks():
        with FileSource(path, sample_rate=sample_rate) as source:
            while (block := source.read(sample_rate)).shape[0]:
                yield mono(block)
            source.check_complete()

    return analyze_blocks(blocks(), sample_rate=sample_rate, settings=settings)

"""Progress of long work: a tqdm bar on a terminal, a log line every few seconds otherwise.

    for curve in progress(curves, total=len(curves), desc="null model", unit="curve", logger=logger):
        ...
    with meter(total=total_bytes, desc="download", unit="B", logger=logger) as bar:
        bar.update(nbytes)          # thread-safe; note= adds text such as "3/40 files"

Why two modes: under Snakemake a rule's stderr is usually the rule log or a pipe, where a bar
redrawn with carriage returns is noise; there a line every `every_s` seconds (and one at the end)
says how far the work is and when it will end. On a terminal tqdm draws its usual bar. The end
line is logged in both modes, so the rule log always holds the totals.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")

LOG_EVERY_S = 5.0
"""Seconds between two progress log lines when stderr is not a terminal."""

_module_logger = logging.getLogger(__name__)


def _scaled(value: float) -> str:
    """3 significant digits and a decimal prefix: 999 -> '999 ', 3_000_000 -> '3 M', 1234 -> '1.23 k'."""
    for prefix in ("", "k", "M", "G", "T"):
        if abs(value) < 999.5:
            return f"{value:.3g} {prefix}"
        value /= 1000
    return f"{value:.3g} P"


def _amounts(done: float, total: float | None, unit: str) -> str:
    """'3 MB/10 MB' for bytes, '12/40 curves' otherwise (no total: '3 MB', '12 curves')."""
    if unit == "B":
        return f"{_scaled(done)}B/{_scaled(total)}B" if total else f"{_scaled(done)}B"
    return f"{done:.0f}/{total:.0f} {unit}" if total else f"{done:.0f} {unit}"


def _rate(per_s: float, unit: str) -> str:
    """'1.2 MB/s' for bytes, '40.5 curves/s' or '12,345 curves/s' otherwise."""
    if unit == "B":
        return f"{_scaled(per_s)}B/s"
    return f"{per_s:.3g} {unit}/s" if per_s < 1000 else f"{per_s:,.0f} {unit}/s"


class Meter:
    """A counter towards `total` that reports itself: see `meter`."""

    def __init__(
        self,
        *,
        total: float | None,
        desc: str,
        unit: str = "it",
        logger: logging.Logger | None = None,
        stream: TextIO | None = None,
        every_s: float = LOG_EVERY_S,
    ) -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.logger = logger or _module_logger
        self.every_s = every_s
        self.done = 0.0
        self.note = ""
        self._lock = threading.Lock()
        self._start = self._last_log = time.monotonic()
        self._closed = False
        self._logged = -1.0  # the count at the last log line
        stream = stream or sys.stderr
        self.bar: tqdm | None = None
        if stream.isatty():
            scale = unit == "B"
            self.bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=scale, unit_divisor=1000, file=stream)

    def line(self) -> str:
        """'download: 3 MB/10 MB (30%), 1 MB/s, 00:03 elapsed, ETA 00:07, 3/10 files'."""
        elapsed = max(time.monotonic() - self._start, 1e-9)
        rate = self.done / elapsed
        parts = [_amounts(self.done, self.total, self.unit)]
        if self.total:
            parts[0] += f" ({100 * self.done / self.total:.0f}%)"
        parts.append(f"{_rate(rate, self.unit)}, {tqdm.format_interval(elapsed)} elapsed")
        if self.total and rate > 0 and self.done < self.total:
            parts.append(f"ETA {tqdm.format_interval((self.total - self.done) / rate)}")
        if self.note:
            parts.append(self.note)
        return f"{self.desc}: {', '.join(parts)}"

    def update(self, n: float = 1, *, note: str | None = None) -> None:
        """Add `n` to the count (from any thread); `note` replaces the text shown after the numbers."""
        with self._lock:
            self.done += n
            if note is not None:
                self.note = note
            if self.bar is not None:
                if note is not None:
                    self.bar.set_postfix_str(note, refresh=False)
                self.bar.update(n)
                return
            now = time.monotonic()
            if now - self._last_log >= self.every_s:
                self._last_log, self._logged = now, self.done
                self.logger.info("%s", self.line())

    def close(self) -> None:
        """Close the bar (on a terminal) and log the end line; a second call does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.bar is not None:
                self.bar.close()
            if self._logged != self.done or self.done == 0:
                self.logger.info("%s", self.line())

    def __enter__(self) -> Meter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def meter(
    *,
    total: float | None,
    desc: str,
    unit: str = "it",
    logger: logging.Logger | None = None,
    stream: TextIO | None = None,
    every_s: float = LOG_EVERY_S,
) -> Meter:
    """A progress counter for work that is not one loop (bytes from several threads, say).

    unit="B" shows bytes with decimal prefixes (kB, MB). `stream` (default stderr) decides the
    mode: a terminal gets a tqdm bar, anything else log lines through `logger`.
    """
    return Meter(total=total, desc=desc, unit=unit, logger=logger, stream=stream, every_s=every_s)


def progress(
    iterable: Iterable[T],
    *,
    total: int | None = None,
    desc: str,
    unit: str = "it",
    logger: logging.Logger | None = None,
    stream: TextIO | None = None,
    every_s: float = LOG_EVERY_S,
) -> Iterator[T]:
    """Yield the items of `iterable`, reporting progress (total defaults to len() when it has one)."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    with meter(total=total, desc=desc, unit=unit, logger=logger, stream=stream, every_s=every_s) as bar:
        for item in iterable:
            yield item
            bar.update(1)

"""The progress helper: log lines when stderr is not a terminal, a tqdm bar when it is."""

from __future__ import annotations

import io
import logging
import threading

import pytest

from scripts.lib.progress import meter, progress

LOGGER = logging.getLogger("tests.progress")


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER.name]


def test_not_a_terminal_logs_lines_and_an_end_line(caplog: pytest.LogCaptureFixture) -> None:
    stream = io.StringIO()
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        items = list(progress(range(4), desc="scoring", unit="curves", logger=LOGGER, stream=stream, every_s=0))
    assert items == [0, 1, 2, 3]
    lines = messages(caplog)
    # every_s=0: a line after each item; the end line is not repeated when the count did not change
    assert [line.split(",")[0] for line in lines] == [
        "scoring: 1/4 curves (25%)",
        "scoring: 2/4 curves (50%)",
        "scoring: 3/4 curves (75%)",
        "scoring: 4/4 curves (100%)",
    ]
    assert "ETA" in lines[0] and "ETA" not in lines[-1]
    assert stream.getvalue() == ""  # nothing drawn on a non-terminal


def test_not_a_terminal_logs_only_the_end_line_within_the_interval(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        for _ in progress(iter(range(50)), desc="bootstrap", unit="draws", logger=LOGGER, stream=io.StringIO()):
            pass
    lines = messages(caplog)
    # 50 quick items, far less than the 5 s interval: one line at the end; no total for a bare iterator
    assert len(lines) == 1 and lines[0].startswith("bootstrap: 50 draws, ")


def test_byte_meter_from_threads_with_a_note(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        with meter(total=4_000_000, desc="download", unit="B", logger=LOGGER, stream=io.StringIO()) as bar:
            threads = [threading.Thread(target=bar.update, args=(1_000_000,)) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            bar.update(0, note="4/4 files")
    (line,) = messages(caplog)
    assert line.startswith("download: 4 MB/4 MB (100%), ") and line.endswith(", 4/4 files")  # 4 x 1 MB


def test_terminal_draws_a_tqdm_bar_and_logs_the_end(caplog: pytest.LogCaptureFixture) -> None:
    stream = Terminal()
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        assert list(progress(range(3), desc="parsing", unit="files", logger=LOGGER, stream=stream)) == [0, 1, 2]
    shown = stream.getvalue()
    assert shown.startswith("\rparsing:   0%|") and "| 3/3 [" in shown and shown.endswith("\n")  # tqdm's bar
    (line,) = messages(caplog)
    assert line.startswith("parsing: 3/3 files (100%)")


def test_close_twice_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    bar = meter(total=None, desc="walk", unit="calls", logger=LOGGER, stream=io.StringIO())
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        bar.update(2)
        bar.close()
        bar.close()
    (line,) = messages(caplog)
    assert line.startswith("walk: 2 calls, ")

"""The memory benchmark builds the windows it reports; sizes and times are never asserted."""

import re

import pytest

from devtools.bench import memory as bench


@pytest.mark.parametrize("shared_metric", [False, True])
def test_bench_memory_builds_every_window_and_prints_labelled_figures(shared_metric):
    lines: list[str] = []
    figures = bench.run(windows=120, rules=3, samples=4, shared_metric=shared_metric,
                        changed_share=0.1, out=lines.append)  # fmt: skip
    assert figures["windows"] == 120
    assert "windows: 120 windows" in lines
    figure = re.compile(r"^[a-z ,0-9]+: [\d,.]+ [a-zA-Z/]+")
    for line in lines:
        assert line.startswith("layout: ") or figure.match(line), line
    assert any(line.startswith("snapshot: ") for line in lines)

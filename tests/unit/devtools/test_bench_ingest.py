"""The ingest benchmark runs and reports its figures; speed itself is never asserted."""

from django.core.management import call_command

from devtools.bench.ingest import generate_lines, naive_parse, run_bench
from rules.ingest.commands import parse_command


def test_run_bench_returns_rates_and_ratio():
    figures = run_bench(lines=200)
    assert set(figures) == {"lines", "parser_lines_per_s", "naive_lines_per_s", "ratio"}
    assert figures["lines"] == 200
    assert figures["parser_lines_per_s"] > 0
    assert figures["naive_lines_per_s"] > 0
    assert figures["ratio"] > 0


def test_the_naive_baseline_produces_the_same_events_as_the_parser():
    for line in generate_lines(50):
        assert naive_parse(line, 1) == parse_command(line, 1)


def test_bench_ingest_prints_labelled_figures(capsys):
    call_command("bench_ingest", "--lines", "100")
    lines = capsys.readouterr().out.splitlines()
    labels = [line.split(":")[0] for line in lines]
    assert labels == ["lines", "parser", "naive split loop", "ratio"]
    assert lines[1].endswith(" lines/s")

"""The samskab command itself: version, help, command discovery."""


def test_cli_version_and_help():
    from typer.testing import CliRunner

    from pipeline import __version__
    from pipeline.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).output.strip() == __version__
    res = runner.invoke(app, [])
    assert "classify" in res.output and "trends" in res.output


def test_stage_progress_writes_count_lines_to_stderr_when_not_a_terminal(capsys):
    from pipeline.cli._ui import StageProgress

    with StageProgress(every=0) as progress:
        progress.update("classify", 0, 10)
        progress.update("classify", 5, 10)
        progress.update("ingest", 3, None)
        progress.step("classify", "10 segment predictions -> out/p.jsonl (0.1 s)")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "classify: 5 of 10 so far" in captured.err and "ingest: 3 so far" in captured.err
    assert "classify: 0" not in captured.err and "classify: 10 segment predictions -> out/p.jsonl (0.1 s)" in captured.err

"""The samskab command itself: version, help, command discovery."""


def test_cli_version_and_help():
    from typer.testing import CliRunner

    from pipeline import __version__
    from pipeline.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).output.strip() == __version__
    res = runner.invoke(app, [])
    assert "classify" in res.output and "trends" in res.output

import pytest
from typer.testing import CliRunner

from xent.cli import app


@pytest.fixture
def xent_cli(monkeypatch):
    """Run ``xent ARGS...`` in-process; returns Click's Result (.exit_code, .stdout, .stderr)."""
    monkeypatch.delenv("XENT_CLASSES", raising=False)
    runner = CliRunner()

    def run(*args, input=None, env=None):
        return runner.invoke(app, [str(a) for a in args], input=input, env=env)

    return run


@pytest.fixture(params=["numpy", "arrow"])
def reader(request, monkeypatch):
    """Each CSV reader in turn: the default NumPy one and the optional pyarrow one."""
    if request.param == "arrow":
        pytest.importorskip("pyarrow")  # the optional xent[fast] reader
    monkeypatch.setenv("XENT_CSV_READER", request.param)
    return request.param

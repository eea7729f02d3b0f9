import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from xent.cli import app

# The suite is a gate (CI, a stop): the same inputs on every run, so it passes or fails
# for the code, not for the draw. Random search is the long run's job (fuzz/long_run.py)
# or `pytest --hypothesis-profile explore` (fresh draws on every run); what it finds is
# pinned in tests/test_fuzz_regressions.py.
# No deadline, no too-slow check: a slow or loaded machine must not fail a test on time.
settings.register_profile(
    "default",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("explore", derandomize=False, deadline=None, print_blob=True)
settings.load_profile("default")


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

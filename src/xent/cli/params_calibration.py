"""The options of calibration and of gates on an interval, declared once:
``--temperature`` and ``--calibration`` (how ``compute`` and ``report`` score a file as
calibrated), ``calibrate``'s ``--method`` and ``--save-calibration``, and ``--gate-on``
(what ``--fail-above`` and ``--fail-if-worse`` compare)."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

from typing import Annotated, Optional

import typer

from .choices import Calibrator, GateOn
from .params import CONVENTIONS, DECIDE, OUTPUT

CalibrationOption = Annotated[
    Optional[str],
    typer.Option(
        "--calibration",
        metavar="FILE",
        help="Score as calibrated by FILE (xent calibrate).",
        rich_help_panel=CONVENTIONS,
    ),
]
TemperatureOption = Annotated[
    Optional[float],
    typer.Option(
        "--temperature",
        metavar="T",
        help="Score softmax(z / T): a temperature by hand.",
        rich_help_panel=CONVENTIONS,
    ),
]
MethodOption = Annotated[
    Calibrator,
    typer.Option(
        "--method",
        help="temperature: one T for every class; vector: a scale and a bias per class "
        "(softmax(w·z + b), Guo et al. 2017).",
        rich_help_panel=CONVENTIONS,
    ),
]
SaveCalibrationOption = Annotated[
    Optional[str],
    typer.Option(
        "--save-calibration",
        metavar="FILE",
        help="Save the fitted calibration to FILE (JSON), to score other rows with: xent "
        "compute --calibration FILE. Replaced atomically when the command succeeds.",
        rich_help_panel=OUTPUT,
    ),
]
GateOnOption = Annotated[
    GateOn,
    typer.Option(
        "--gate-on",
        metavar="FIGURE",
        help="The gate's figure: estimate, upper or lower.",
        rich_help_panel=DECIDE,
    ),
]

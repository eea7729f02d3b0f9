"""The options of calibration, declared once: ``--temperature`` and ``--calibration`` (how
``compute`` and ``report`` score a file as calibrated), and ``calibrate``'s ``--method`` and
``--save-calibration``."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

from typing import Annotated, Optional

import typer

from .choices import Calibrator
from .params import CONVENTIONS, OUTPUT

CalibrationOption = Annotated[
    Optional[str],
    typer.Option(
        "--calibration",
        metavar="FILE",
        help="Score the predictions as calibrated by FILE, a calibration fitted on other "
        "rows (xent calibrate --save-calibration FILE): temperature or vector scaling.",
        rich_help_panel=CONVENTIONS,
    ),
]
TemperatureOption = Annotated[
    Optional[float],
    typer.Option(
        "--temperature",
        metavar="T",
        help="Score softmax(z / T) instead of the predictions: z the logits, or log Q for "
        "probabilities (temperature scaling, T by hand).",
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

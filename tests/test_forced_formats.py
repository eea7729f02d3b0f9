"""A format or delimiter given that does not fit the file: one line that says what the file
looks like, never an internal error or a hint that would not help."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "logprobs"])
@pytest.mark.parametrize(
    ("name", "looks"),
    [
        ("animals.npz", "a zip file"),
        ("animals.parquet", "a Parquet file"),
        ("lm-logits.safetensors", "a safetensors file"),
    ],
)
def test_a_text_format_given_for_a_binary_file(xent_cli, fmt, name, looks):
    # it said "not UTF-8: byte 0x8a ... (save the file as UTF-8)"
    result = xent_cli("compute", "-i", EXAMPLES / name, "--input-format", fmt)
    assert result.exit_code == 2 and not result.stdout
    assert result.stderr.startswith("xent: --input-format: ")
    shown = {"jsonl": "JSON Lines", "logprobs": "logprobs"}.get(fmt, fmt.upper())
    assert result.stderr.rstrip().endswith(f"{name} is read as {shown}, but it looks like {looks}")
    assert "UTF-8" not in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("name", ["animals.csv", "lm-logits.safetensors"])
def test_npz_given_for_another_file(xent_cli, name):
    # it was "internal error: BadZipFile: File is not a zip file"
    result = xent_cli("compute", "-i", EXAMPLES / name, "--input-format", "npz")
    assert result.exit_code == 1
    assert result.stderr == f"xent: {EXAMPLES / name}: not an .npz archive (a zip of .npy arrays)\n"


@pytest.mark.parametrize("args", [["--input-format", "tsv"], ["--delimiter", ";"]])
def test_a_header_of_one_column_asks_for_the_delimiter(xent_cli, args):
    # it said "no 'label' column in the header (columns: label,dog,...)"; name the column
    # with --label-column", which would not help
    result = xent_cli("compute", "-i", EXAMPLES / "animals.csv", *args)
    assert result.exit_code == 1
    assert "the header is one column, 'label,dog,fox,horse,eagle,squirrel'" in result.stderr
    assert "separated by ','? (--delimiter says so, or --input-format)" in result.stderr
    assert "--label-column" not in result.stderr

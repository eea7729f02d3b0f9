"""The choices of the command line's enumerated options (``--format``, ``--reduction``,
``--input-format``, ``--on-error``, ``--gate-on``)."""

from enum import Enum


class OutputFormat(str, Enum):
    auto = "auto"
    table = "table"
    json = "json"
    csv = "csv"
    plain = "plain"


class Reduction(str, Enum):
    mean = "mean"
    sum = "sum"
    none = "none"


class InputFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    parquet = "parquet"
    feather = "feather"
    npy = "npy"
    npz = "npz"
    safetensors = "safetensors"
    llama = "llama"
    logprobs = "logprobs"


class CountsPer(str, Enum):
    row = "row"
    document = "document"


class LogprobsMode(str, Enum):
    auto = "auto"
    chat = "chat"
    completions = "completions"
    vllm = "vllm"
    vllm_prompt = "vllm-prompt"


class Holds(str, Enum):
    auto = "auto"
    logits = "logits"
    logprobs = "logprobs"
    probabilities = "probabilities"


class GateOn(str, Enum):
    estimate = "estimate"
    upper_bound = "upper"
    lower_bound = "lower"


class Calibrator(str, Enum):
    temperature = "temperature"
    vector = "vector"


class OnError(str, Enum):
    raise_ = "raise"
    skip = "skip"

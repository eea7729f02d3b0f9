"""Write lm-logits.safetensors: a language model's logits for 64 tokens over a vocabulary of
50 (float32, "logits") and the target tokens (int64, "labels"), as a .safetensors file
(8-byte header length, JSON header, raw data); lm-quantized.safetensors: the same model's
logits rounded to quarters (a "quantized" copy), same tokens; and lm-pair.npz: both
models' logits as arrays p and q (for xent kl). Run from the repository root:

    python examples/make_lm.py
    xent compute --file examples/lm-logits.safetensors     (perplexity and the rest)
    xent compare examples/lm-logits.safetensors examples/lm-quantized.safetensors
    xent kl -i examples/lm-pair.npz
"""

import json
import struct
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main() -> None:
    rng = np.random.default_rng(22)
    tokens, vocabulary = 64, 50
    labels = rng.integers(0, vocabulary, tokens)
    logits = rng.standard_normal((tokens, vocabulary)) * 2
    logits[np.arange(tokens), labels] += 2.5  # a model that is right more often than not
    quantized = np.round(logits.astype(np.float32) * 4) / 4
    write(HERE / "lm-logits.safetensors", logits.astype(np.float32), labels)
    write(HERE / "lm-quantized.safetensors", quantized.astype(np.float32), labels)
    np.savez(HERE / "lm-pair.npz", p=logits.astype(np.float32), q=quantized.astype(np.float32))


def write(path: Path, logits: np.ndarray, labels: np.ndarray) -> None:
    tensors = {"logits": ("F32", logits), "labels": ("I64", labels)}
    header, blobs, offset = {}, [], 0
    for name, (kind, array) in tensors.items():
        data = array.tobytes()
        header[name] = {
            "dtype": kind,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


if __name__ == "__main__":
    main()

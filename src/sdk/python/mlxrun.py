"""What a Python training script imports: ``import mlxrun``.

The same contract as mlx's TypeScript SDK: ``log`` appends one JSON line per metric to the file named by
MLX_METRICS_FILE, ``params()`` reads MLX_PARAMS and ``seed()`` reads MLX_SEED. Outside ``mlx capture``
they still work: ``log`` does nothing, ``params()`` is ``{}`` and ``seed()`` is ``None``.

Named ``mlxrun``, not ``mlx``: Apple's array framework owns the import name ``mlx``.
Standard library only; Python 3.6 or later.
"""
import json
import math
import numbers
import os
import time

__all__ = ["log", "params", "seed"]


def _encode(value):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _number(value):
    """A metric value as JSON takes it, or None for what is not a number (bools, text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    # numpy's float32 is no numbers.Real, but it converts.
    if isinstance(value, numbers.Real) or hasattr(value, "__float__"):
        return _encode(float(value))
    return None


def log(metrics, value=None, step=None):
    """Records metrics: ``log({"loss": 0.41, "accuracy": 0.9}, step=3)`` or ``log("loss", 0.41, step=3)``."""
    path = os.environ.get("MLX_METRICS_FILE")
    if not path:
        return
    if isinstance(metrics, str):
        entries = [(metrics, value)]
    else:
        entries = list(dict(metrics).items())
        if step is None and value is not None:
            step = value
    now = int(time.time() * 1000)
    lines = []
    for name, raw in entries:
        number = _number(raw)
        if number is None:
            continue
        point = {"name": str(name), "value": number}
        if step is not None:
            point["step"] = int(step)
        point["time"] = now
        lines.append(json.dumps(point, allow_nan=False) + "\n")
    if lines:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("".join(lines))


def params():
    """The run's parameters (MLX_PARAMS), as given to ``mlx capture`` with --param, --params or a config."""
    text = os.environ.get("MLX_PARAMS")
    return json.loads(text) if text else {}


def seed():
    """The run's seed (MLX_SEED): given with --seed or drawn by mlx, always recorded; None outside mlx."""
    text = os.environ.get("MLX_SEED")
    return None if text is None else int(text)

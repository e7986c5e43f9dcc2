"""The numerical building blocks of the forward passes, in numpy (float32 unless told).

Each function mirrors the PyTorch operation the reference implementation uses, so that a model
run here gives the reference's outputs to float32 rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy.special import erf

Array = npt.NDArray[np.floating]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def linear(x: Array, weight: Array, bias: Array | None = None) -> Array:
    """``x @ weight.T + bias`` (PyTorch ``nn.Linear``: weight is ``(out, in)``).

    Leading axes are flattened first, so one BLAS GEMM does the whole batch.
    """
    y = x.reshape(-1, x.shape[-1]) @ weight.T
    if bias is not None:
        y += bias
    return y.reshape(*x.shape[:-1], weight.shape[0])


def conv1d(x: Array, weight: Array, bias: Array | None = None) -> Array:
    """GPT-2's ``Conv1D``: ``x @ weight + bias`` (weight is ``(in, out)``)."""
    y = x.reshape(-1, x.shape[-1]) @ weight
    if bias is not None:
        y += bias
    return y.reshape(*x.shape[:-1], weight.shape[1])


def layer_norm(x: Array, weight: Array, bias: Array | None, eps: float) -> Array:
    """Layer normalisation over the last axis (biased variance, as PyTorch computes it)."""
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    var = np.mean(centered * centered, axis=-1, keepdims=True)
    y = centered / np.sqrt(var + eps)
    y *= weight
    if bias is not None:
        y += bias
    return y


def rms_norm(x: Array, weight: Array, eps: float) -> Array:
    """Llama's RMSNorm: ``x / sqrt(mean(x^2) + eps) * weight``, computed in float32."""
    x32 = x.astype(np.float32, copy=False)
    variance = np.mean(x32 * x32, axis=-1, keepdims=True)
    return (x32 / np.sqrt(variance + eps)) * weight


def gelu(x: Array) -> Array:
    """Exact GELU, ``0.5 x (1 + erf(x / sqrt 2))`` (BERT's ``gelu``)."""
    return (0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))).astype(x.dtype, copy=False)


def gelu_tanh(x: Array) -> Array:
    """GELU's tanh approximation (GPT-2's ``gelu_new``)."""
    return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))


def silu(x: Array) -> Array:
    """``x * sigmoid(x)`` (Llama's ``silu``)."""
    return x / (1.0 + np.exp(-x))


def relu(x: Array) -> Array:
    """``max(x, 0)``."""
    return np.maximum(x, 0)


ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "gelu": gelu,
    "gelu_new": gelu_tanh,
    "gelu_pytorch_tanh": gelu_tanh,
    "gelu_fast": gelu_tanh,
    "silu": silu,
    "swish": silu,
    "relu": relu,
}


def activation(name: str) -> Callable[[Array], Array]:
    """The activation function called ``name`` in a Hugging Face config."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unsupported activation {name!r}; known: {sorted(ACTIVATIONS)}") from None


def softmax(x: Array, axis: int = -1) -> Array:
    """A numerically stable softmax."""
    shifted = x - x.max(axis=axis, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=axis, keepdims=True)
    return shifted


def attention(q: Array, k: Array, v: Array, mask: Array | None, scale: float) -> Array:
    """Scaled dot-product attention; ``q`` ``(..., Tq, d)``, ``k``/``v`` ``(..., Tk, d)``.

    ``mask`` is additive (0 where allowed, a large negative number where not) and broadcasts
    against the ``(..., Tq, Tk)`` scores.
    """
    scores = (q @ np.swapaxes(k, -1, -2)) * np.float32(scale)
    if mask is not None:
        scores = scores + mask
    return softmax(scores) @ v


def causal_mask(tq: int, tk: int, dtype: np.dtype = np.dtype(np.float32)) -> Array:
    """The additive causal mask for ``tq`` new positions after ``tk - tq`` cached ones."""
    past = tk - tq
    allowed = np.arange(tk)[None, :] <= (np.arange(tq)[:, None] + past)
    return np.where(allowed, 0.0, np.finfo(dtype).min).astype(dtype)

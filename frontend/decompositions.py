"""Decompositions of ops whose torch-mlir lowering Ethos-U or the quantized lowering
cannot take, into ops it does (frontend/importer.py adds them to its table).

group_norm: torch's decomposition computes per-group statistics and gathers them per
channel (GATHERs of float values); written here as a layer norm over [N, G, C/G, H*W]
(axes 2, 3: mean, centred, mean of squares, rsqrt), reshaped back, then the per-channel
affine, which the norm lowering matches (`tosaic.lowering.norm`).

adaptive_avg_pool2d with sizes that do not divide: torch-mlir lowers it with int64 index
tensors (`'tosa.const' op illegal ... [int64]`). Output window i along an axis of length
L covers [floor(i L / o), ceil((i + 1) L / o)); the windows overlap and differ in length
by at most one. Each window is sliced out, padded with 0.0 at its end to the longest
window k, and the windows concatenated, so a plain avg_pool2d with kernel = stride =
(kh, kw) sums exactly each window; the average's divisor is then corrected by a constant
factor (kh kw) / (count_h count_w) per output position. The quantized lowering folds the
padding into the input's zero point and the factor into one rescale
(`tosaic.lowering.pool`, entry `adaptive_avg_pool2d`): one rounding, as the float average.
"""

from __future__ import annotations

import math

import torch

aten = torch.ops.aten


def bilinear_matrix(size: int, out: int, align_corners: bool, scale: float | None = None) -> torch.Tensor:
    """[out, size] float64: row j holds the two weights with which PyTorch's
    upsample_bilinear2d mixes input samples along one axis for output j (source index
    j (size - 1) / (out - 1) with align_corners, else (j + 0.5) / scale - 0.5 clamped at 0,
    scale = `scale` when the call gave a scale factor, else out / size)."""
    matrix = torch.zeros(out, size, dtype=torch.float64)
    if align_corners:
        step = (size - 1) / (out - 1) if out > 1 else 0.0
    else:
        step = 1.0 / scale if scale is not None and scale > 0 else size / out
    for j in range(out):
        source = j * step if align_corners else max((j + 0.5) * step - 0.5, 0.0)
        i0 = min(int(math.floor(source)), size - 1)
        i1 = i0 + 1 if i0 < size - 1 else i0
        high = source - i0
        matrix[j, i0] += 1.0 - high
        matrix[j, i1] += high
    return matrix


def bilinear_sizes(x_shape, output_size, scale_factors) -> tuple[list[int], list[float | None]]:
    """(output sizes, scales) of an upsample_bilinear2d.vec call, as PyTorch derives them."""
    if output_size is not None:
        return [int(s) for s in output_size], [None, None]
    return ([int(math.floor(size * scale)) for size, scale in zip(x_shape[2:], scale_factors)],
            [float(scale) for scale in scale_factors])


def adaptive_windows(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive pooling windows [start, end) along an axis of length `size`."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _windows_side_by_side(x, dim: int, windows, kernel: int):
    parts = []
    for start, end in windows:
        part = aten.slice.Tensor(x, dim, start, end, 1)
        if end - start < kernel:
            padding = [0, 0] * (x.dim() - dim - 1) + [0, kernel - (end - start)]
            part = aten.constant_pad_nd.default(part, padding, 0.0)
        parts.append(part)
    return aten.cat.default(parts, dim)


def adaptive_avg_pool2d(x, output_size):
    if x.dim() != 4:
        return NotImplemented
    h, w = x.shape[2:]
    out_h, out_w = [s if s is not None else size for s, size in zip(output_size, (h, w))]
    if h % out_h == 0 and w % out_w == 0:
        return NotImplemented  # torch-mlir's avg_pool2d
    kernel, counts = [], []
    for dim, size, out in ((2, h, out_h), (3, w, out_w)):
        windows = adaptive_windows(size, out)
        lengths = [end - start for start, end in windows]
        k = max(lengths)
        if size % out:
            x = _windows_side_by_side(x, dim, windows, k)
        kernel.append(k)
        counts.append(lengths)
    pooled = aten.avg_pool2d.default(x, kernel, kernel, [0, 0], False, True)
    # The factor per output position, (kh / count_h) (kw / count_w), built from scalars
    # (a tensor literal here would be a constant the exported program does not register).
    factor = None
    for dim, k, lengths in ((2, kernel[0], counts[0]), (3, kernel[1], counts[1])):
        if all(length == k for length in lengths):
            continue
        shape = [1, 1, 1, 1]
        parts = [aten.full.default(shape, k / length, dtype=x.dtype, device=x.device) for length in lengths]
        along = aten.cat.default(parts, dim)
        factor = along if factor is None else aten.mul.Tensor(factor, along)
    return pooled if factor is None else aten.mul.Tensor(pooled, factor)


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    if x.dim() < 2 or x.shape[1] % num_groups:
        return NotImplemented
    n, c = x.shape[:2]
    rest = list(x.shape[2:])
    spatial = 1
    for size in rest:
        spatial *= size
    grouped = aten.reshape.default(x, [n, num_groups, c // num_groups, spatial])
    mean = aten.mean.dim(grouped, [2, 3], True)
    centred = aten.sub.Tensor(grouped, mean)
    variance = aten.mean.dim(aten.mul.Tensor(centred, centred), [2, 3], True)
    normalised = aten.mul.Tensor(centred, aten.rsqrt.default(aten.add.Scalar(variance, eps)))
    y = aten.reshape.default(normalised, list(x.shape))
    per_channel = [1, c] + [1] * len(rest)
    if weight is not None:
        y = aten.mul.Tensor(y, aten.reshape.default(weight, per_channel))
    if bias is not None:
        y = aten.add.Tensor(y, aten.reshape.default(bias, per_channel))
    return y

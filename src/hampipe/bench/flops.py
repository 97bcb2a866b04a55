"""How far a training step is from the machine's limit: its FLOPs and the matmul ceiling.

- :func:`count_flops`: the floating-point operations of the matrix products a piece of
  code runs, forward and backward, by the formulas of ``torch.utils.flop_counter``;
- :func:`matmul_throughput`: the measured FLOP/s of dense matrix products on a device;
  :func:`dense_matmul_ceiling` measures it at the size that shows the device's peak,
  with the threads and dtype set for the run;
- :func:`fraction_of_ceiling`: FLOPs / seconds / ceiling, the share of that throughput
  a timed step reaches;
- :func:`synchronize`: the wait for a device's queued work before a clock is read,
  shared with :mod:`hampipe.bench.timing`.

Only matrix products are counted (every linear layer, the hand-written gradients'
products, the products of autograd's backward): the elementwise work (activations,
integrator updates, Adam) counts zero, as it would in a roofline of the matrix unit.
The fraction is therefore that of the dense-matmul ceiling, which a step made of
products of width 64–256 and of elementwise chains cannot approach; it says how much of
the time goes to useful multiply–adds.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

log = logging.getLogger(__name__)

#: Side n of the n × n × n product whose throughput is a device type's ceiling: large
#: enough to reach the peak of a few CPU cores (about 2·10⁹ operations per product) or
#: of a data-centre GPU (10¹² operations), small enough to time in about a second.
CEILING_SIZE = {"cpu": 1024, "cuda": 8192}


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (CUDA), so a wall-clock timer measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class _FlopCounter(TorchDispatchMode):
    """Adds up the FLOPs of every dispatched operator that torch's flop counter knows."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += int(formula(*args, **kwargs, out_val=out))
        return out


def count_flops(run: Callable[[], Any]) -> int:
    """Floating-point operations of the matrix products that ``run()`` executes.

    Counted at the dispatcher with the formulas of ``torch.utils.flop_counter`` (those
    of its ``FlopCounterMode``, without its module tracking, whose hooks refuse
    ``torch.autograd.grad`` with respect to a leaf, as the references take), so the
    backward passes that ``run`` starts are included: 2·m·k·n per (m, k) @ (k, n)
    product (``mm``, ``addmm``, ``bmm``, ``baddbmm``; ``matmul``, ``einsum`` and
    ``nn.Linear`` reach these), batched products times their batch. Elementwise
    operations and reductions count zero.
    """
    with _FlopCounter() as counter:
        run()
    return counter.total


def matmul_throughput(
    device: torch.device,
    shapes: Sequence[tuple[int, int, int]],
    dtypes: Sequence[torch.dtype],
    repeats: int = 5,
    products: int | None = None,
) -> list[dict[str, Any]]:
    """Measured FLOP/s of ``a @ b`` on ``device`` for each shape and dtype.

    For an ``(m, k) @ (k, n)`` product, one product is ``2 m k n`` floating-point
    operations. Each measurement runs three untimed products, then ``repeats`` timed
    blocks of ``products`` products each (default: enough for about 2·10¹² operations per
    block, at least 10); the median block is kept. Random normal operands, seeded; the
    threads are torch's current ones.
    """
    records = []
    generator = torch.Generator(device="cpu").manual_seed(0)
    for m, k, n in shapes:
        flops = 2 * m * k * n
        count = products or max(10, min(10_000, int(2e12 // flops)))
        for dtype in dtypes:
            a = torch.randn(m, k, generator=generator).to(device=device, dtype=dtype)
            b = torch.randn(k, n, generator=generator).to(device=device, dtype=dtype)
            for _ in range(3):
                a @ b
            seconds = []
            for _ in range(repeats):
                synchronize(device)
                start = time.perf_counter()
                for _ in range(count):
                    a @ b
                synchronize(device)
                seconds.append(time.perf_counter() - start)
            median = statistics.median(seconds)
            records.append(
                {
                    "m": m,
                    "k": k,
                    "n": n,
                    "dtype": str(dtype).removeprefix("torch."),
                    "device": str(device),
                    "threads": torch.get_num_threads(),
                    "products_per_block": count,
                    "seconds_per_product": median / count,
                    "flops_per_second": flops * count / median,
                    "tf32": bool(torch.backends.cuda.matmul.allow_tf32),
                }
            )
            log.info("matmul %dx%dx%d %s: %.3g FLOP/s", m, k, n, dtype, flops * count / median)
    return records


def dense_matmul_ceiling(
    device: torch.device,
    dtype: torch.dtype,
    size: int | None = None,
    seconds: float = 0.25,
    repeats: int = 3,
) -> dict[str, Any]:
    """The measured dense matmul throughput of ``device`` in ``dtype``, as a record.

    A :func:`matmul_throughput` record of one n × n × n product, n = ``size``
    (default :data:`CEILING_SIZE` of the device type, 2048 for others), with as many
    products per timed block as take about ``seconds`` (from one timed product after a
    warm-up); median of ``repeats`` blocks, with torch's current threads (set them first).
    """
    n = size or CEILING_SIZE.get(device.type, 2048)
    a = torch.ones(n, n, device=device, dtype=dtype)
    a @ a
    synchronize(device)
    start = time.perf_counter()
    a @ a
    synchronize(device)
    products = max(1, round(seconds / max(time.perf_counter() - start, 1e-9)))
    return matmul_throughput(device, [(n, n, n)], [dtype], repeats, products)[0]


def fraction_of_ceiling(flops: float, seconds: float, flops_per_second: float) -> float:
    """The share of the ceiling a step reaches: ``flops / seconds / flops_per_second``."""
    if seconds <= 0 or flops_per_second <= 0:
        raise ValueError(
            f"seconds and flops_per_second must be positive, got {seconds} and {flops_per_second}"
        )
    return flops / seconds / flops_per_second

"""The pieces of a vectorised ensemble step: stacked losses, Adam and examples.

:func:`~hampipe.training.ensemble.fit_ensemble` stacks N members' parameters along a
leading member axis (``torch.func.stack_module_state``) and computes every member's
loss and gradients in one batched call (``torch.func.vmap`` of
``torch.func.functional_call`` of :class:`MemberLoss`). Two parts of the methods'
losses need help there: the fused rational activation (a custom autograd ``Function``)
gets a batching rule that folds the member axis into the units
(:class:`_VmappableRational`), and an interval method's grouping of examples by
sub-step count (data-dependent shapes, which ``vmap`` cannot batch) is done before the
batched call, each member's block of a count padded to the largest with zero-weighted
examples (:func:`example_groups`), so that every member integrates blocks of the same
sizes together (:meth:`IntervalMethod.ragged_loss`). :class:`StackedAdam` is
``torch.optim.Adam`` on the stacked parameters, one learning rate per member;
:class:`EnsembleState` the whole training state, which an ensemble job's checkpoint
holds.
"""

from __future__ import annotations

import copy
import logging
import types
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from hampipe.models.activations import Rational, RationalValueAndDerivative
from hampipe.models.intervals import IntervalMethod
from hampipe.models.method import Batch, Method
from hampipe.training.resume import Checkpointer

log = logging.getLogger(__name__)

#: Adam's constants, as ``torch.optim.Adam``'s defaults (which ``training.loop.optimiser`` uses).
BETAS, EPS = (0.9, 0.999), 1e-8


class _SavedTensors:
    """What :class:`RationalValueAndDerivative`'s forward and backward read of ``ctx``."""

    def __init__(self, saved: tuple = (), needs_input_grad: tuple = ()) -> None:
        self.saved_tensors, self.needs_input_grad = saved, needs_input_grad

    def save_for_backward(self, *tensors: torch.Tensor) -> None:
        self.saved_tensors = tensors


class _VmappableRational(torch.autograd.Function):
    """:class:`RationalValueAndDerivative` (same forward and backward code) with a
    batching rule, so that ``vmap`` over members can run the fused rational activation.

    Returns (R(x), R'(x), 1/Q(x)); the last is the intermediate the backward pass
    needs (``functorch`` saves only inputs and outputs; Q' is recomputed there). The batching rule
    folds the member axis into the units: x of shape ``(member, …, width)`` becomes
    ``(…, member · width)`` and each member's coefficients are repeated per unit, so one
    call computes every member, whatever its ``rational_sharing``.
    """

    @staticmethod
    def forward(x, a, b):
        ctx = _SavedTensors()
        value, slope = RationalValueAndDerivative.forward(ctx, x, a, b)
        _, _, _, r, _, _ = ctx.saved_tensors
        return value, slope, r

    @staticmethod
    def setup_context(ctx, inputs, output):
        value, slope, r = output
        ctx.mark_non_differentiable(r)
        ctx.save_for_backward(*inputs, r, value, slope)

    @staticmethod
    def backward(ctx, g_value, g_slope, _g_r):
        saved = _SavedTensors(ctx.saved_tensors, ctx.needs_input_grad)
        return RationalValueAndDerivative.backward(saved, g_value, g_slope)

    @staticmethod
    def vmap(info, in_dims, x, a, b):
        n = info.batch_size
        x, a, b = (
            t.movedim(d, 0) if d is not None else t.expand(n, *t.shape)
            for t, d in zip((x, a, b), in_dims, strict=True)
        )
        width = x.shape[-1]
        folded = x.movedim(0, -2).reshape(*x.shape[1:-1], n * width)
        a = a.expand(n, width, a.shape[-1]).reshape(n * width, -1)
        b = b.expand(n, width, b.shape[-1]).reshape(n * width, -1)
        outputs = _VmappableRational.apply(folded, a, b)
        unfolded = tuple(o.reshape(*x.shape[1:-1], n, width).movedim(-2, 0) for o in outputs)
        return unfolded, (0, 0, 0)


def _rational_value_and_derivative(self: Rational, x: torch.Tensor):
    return _VmappableRational.apply(x, self.numerator, self.denominator)[:2]


class MemberLoss(nn.Module):
    """One member's loss as a module call, for ``functional_call`` with its parameters.

    Holds a private copy of the template method (its model's rational activations
    switched to :class:`_VmappableRational`); ``forward(batch, groups)`` is the
    method's loss on ``batch``, or, for an interval method, its loss from the
    examples sorted and padded by :func:`example_groups`.
    """

    def __init__(self, method: Method) -> None:
        super().__init__()
        self.method = copy.deepcopy(method)
        self.model = self.method.model
        for module in self.model.modules():
            if isinstance(module, Rational):
                module.value_and_derivative = types.MethodType(
                    _rational_value_and_derivative, module
                )
        self.counts: list[tuple[int, int]] = []

    def forward(self, batch: Batch, groups: tuple):
        method = self.method
        if not isinstance(method, IntervalMethod):
            return method.loss(batch)
        # IntervalMethod._loss with the examples sorted and padded per member
        index, weight = groups
        return method.ragged_loss(batch, index, self.counts, weight)


def example_groups(
    substeps: torch.Tensor,
) -> tuple[list[tuple[int, int]], tuple[torch.Tensor, torch.Tensor]]:
    """The blocks of one sub-step count S of a stacked batch, alike for every member.

    ``substeps`` is ``(member, batch)``. For each S present in any member's batch, in
    descending order (as :meth:`IntervalMethod.ragged_loss` takes them), the block holds
    each member's examples with S, in batch order, padded to the largest count G with
    other examples. Returns the counts ``[(S, G), ...]`` and, for the whole sorted
    batch, the indices ``(member, ΣG)`` and weights (1, or 0 for padding).
    """
    values = torch.unique(substeps).tolist()[::-1]
    counts, indices, weights = [], [], []
    for s in values:
        mask = substeps == s
        count = mask.sum(1)
        size = int(count.max())
        indices.append(torch.argsort((~mask).to(torch.int8), dim=1, stable=True)[:, :size])
        position = torch.arange(size, device=substeps.device)
        weights.append((position[None, :] < count[:, None]).to(torch.int8))
        counts.append((s, size))
    return counts, (torch.cat(indices, 1), torch.cat(weights, 1))


class StackedAdam:
    """Adam (Kingma & Ba 2014) on stacked parameters, one learning rate per member.

    The update of ``torch.optim.Adam`` (coupled weight decay, bias-corrected moments,
    ``eps`` added to the corrected root), applied elementwise, so each member's slice
    moves as its own Adam would move it. ``step(lr, active)`` updates only the members
    whose ``active`` entry is true; the others' parameters stay bitwise unchanged.
    """

    def __init__(self, params: dict[str, torch.Tensor], weight_decay: float) -> None:
        #: Parameters the loss never reaches (e.g. HNN's output bias) get no gradient in a
        #: single run, so torch's Adam skips them (no weight decay either); likewise here.
        self.params = params
        self.weight_decay = weight_decay
        self.exp_avg = {k: torch.zeros_like(v) for k, v in params.items()}
        self.exp_avg_sq = {k: torch.zeros_like(v) for k, v in params.items()}
        self.steps = 0

    @torch.no_grad()
    def step(self, lr: torch.Tensor, active: torch.Tensor) -> None:
        (beta1, beta2), self.steps = BETAS, self.steps + 1
        correction1 = 1 - beta1**self.steps
        correction2 = (1 - beta2**self.steps) ** 0.5
        for key, param in self.params.items():
            grad = param.grad
            if grad is None:
                continue
            if self.weight_decay:
                grad = grad.add(param, alpha=self.weight_decay)
            exp_avg, exp_avg_sq = self.exp_avg[key], self.exp_avg_sq[key]
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            shape = (-1,) + (1,) * (param.ndim - 1)
            step_size = (lr / correction1).reshape(shape)
            denominator = (exp_avg_sq.sqrt() / correction2).add_(EPS)
            moved = param - step_size * exp_avg / denominator
            param.copy_(torch.where(active.reshape(shape), moved, param))

    def zero_grad(self) -> None:
        for param in self.params.values():
            param.grad = None

    def skip_unused(self, used: set[str]) -> None:
        """Stop updating the parameters not in ``used`` (those a single run's loss
        leaves without a gradient; vmap gives them zeros instead)."""
        self.params = {k: v for k, v in self.params.items() if k in used}


def stack_examples(
    batches: Sequence[Batch], device: torch.device, where: str | None = None
) -> Batch:
    """The members' examples stacked on a leading member axis; they must agree in shape
    (else ``ValueError`` naming the member, both shapes and, given ``where``, the key
    ``<where>.ensemble`` that trains them separately)."""
    keys = set(batches[0])
    for i, batch in enumerate(batches):
        shapes = {k: tuple(v.shape) for k, v in batch.items()}
        first = {k: tuple(v.shape) for k, v in batches[0].items()}
        if set(batch) != keys or shapes != first:
            remedy = f"set {where}.ensemble to false" if where else "train them separately"
            raise ValueError(
                f"ensemble member {i} has examples {shapes}, member 0 {first}: members "
                f"train together only on examples of equal shapes; {remedy}"
            )
    return {k: torch.stack([b[k] for b in batches]).to(device) for k in batches[0]}


def take_rows(data: Batch, index: torch.Tensor) -> Batch:
    """Each member's rows ``index[m]`` of the stacked ``data`` (``index``: (member, b))."""
    members = torch.arange(index.shape[0], device=index.device)[:, None]
    return {k: v[members, index] for k, v in data.items()}


def used_parameters(member_loss: MemberLoss, data: Batch, batch_size: int) -> set[str]:
    """The parameters that a single run's loss gives a gradient (member 0, first batch)."""
    method = member_loss.method
    batch = {k: v[0, :batch_size] for k, v in data.items()}
    method.model.zero_grad(set_to_none=True)
    method.loss(batch).backward()
    used = {k for k, v in method.model.named_parameters() if v.grad is not None}
    method.model.zero_grad(set_to_none=True)
    return used


def validation_losses(losses, held_out: Batch, batch_size: int) -> list[float]:
    """Every member's loss averaged over its validation examples, without gradients (as
    ``fit``'s validation: the loss of each batch in order, weighted by its size)."""
    n = next(iter(held_out.values())).shape[1]
    total = None
    with torch.no_grad():
        for begin in range(0, n, batch_size):
            batch = {k: v[:, begin : begin + batch_size] for k, v in held_out.items()}
            size = next(iter(batch.values())).shape[1]
            value = losses(batch).double() * size
            total = value if total is None else total + value
    return (total / n).tolist()


def load_member(
    model: nn.Module, params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor], m: int
) -> None:
    """Copy member ``m``'s slice of the stacked parameters and buffers into ``model``."""
    with torch.no_grad():
        model.load_state_dict({k: v[m] for k, v in {**params, **buffers}.items()})


#: What an ensemble job's checkpoint holds besides its epoch (:class:`EnsembleState`).
ENSEMBLE_STATE = frozenset(
    {
        "params",
        "buffers",
        "exp_avg",
        "exp_avg_sq",
        "adam_steps",
        "schedules",
        "generators",
        "histories",
        "stopping",
        "active",
        "epochs_run",
        "converged",
    }
)


class EnsembleState:
    """Everything an epoch of :func:`fit_ensemble` reads from the ones before: the
    stacked parameters and buffers, the stacked Adam's moments and step count, each
    member's learning-rate schedule, batch-order generator, history and early-stopping
    state, and which members still train. A checkpoint saves it whole, so a resumed
    ensemble ends as an uninterrupted one (bit for bit on CPU)."""

    def __init__(self, params, buffers, adam, schedules, generators, histories, stops, active):
        self.params, self.buffers, self.adam = params, buffers, adam
        self.schedules, self.generators = schedules, generators
        self.histories, self.stops, self.active = histories, stops, active
        self.epochs_run = [0] * len(stops)
        self.converged = [False] * len(stops)

    def state_dict(self) -> dict[str, Any]:
        """The state as tensors (on the CPU) and built-in types."""

        def cpu(tensors):
            return {k: v.detach().cpu().clone() for k, v in tensors.items()}

        return {
            "params": cpu(self.params),
            "buffers": cpu(self.buffers),
            "exp_avg": cpu(self.adam.exp_avg),
            "exp_avg_sq": cpu(self.adam.exp_avg_sq),
            "adam_steps": int(self.adam.steps),
            "schedules": [[o.state_dict(), s.state_dict()] for o, s in self.schedules],
            "generators": [g.get_state() for g in self.generators],
            "histories": copy.deepcopy(self.histories),
            "stopping": [s.state_dict() for s in self.stops],
            "active": self.active.detach().cpu().clone(),
            "epochs_run": list(self.epochs_run),
            "converged": list(self.converged),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Put ``state`` (of :meth:`state_dict`) in place; every tensor must match in
        name and shape (else ``ValueError``)."""
        pairs = [
            (self.params, state["params"]),
            (self.buffers, state["buffers"]),
            (self.adam.exp_avg, state["exp_avg"]),
            (self.adam.exp_avg_sq, state["exp_avg_sq"]),
            ({"active": self.active}, {"active": state["active"]}),
        ]
        for live, saved in pairs:
            if live.keys() != saved.keys() or any(live[k].shape != saved[k].shape for k in live):
                raise ValueError("the stacked tensors differ in names or shapes")
        n = len(self.stops)
        if not all(len(state[k]) == n for k in ("schedules", "generators", "histories")):
            raise ValueError(f"the checkpoint is not of {n} members")
        with torch.no_grad():
            for live, saved in pairs:
                for k, tensor in live.items():
                    tensor.copy_(saved[k])
        self.adam.steps = int(state["adam_steps"])
        for (opt, scheduler), (opt_state, scheduler_state) in zip(
            self.schedules, state["schedules"], strict=True
        ):
            opt.load_state_dict(opt_state)
            scheduler.load_state_dict(scheduler_state)
        for generator, saved_generator in zip(self.generators, state["generators"], strict=True):
            generator.set_state(saved_generator)
        for stop, saved_stop in zip(self.stops, state["stopping"], strict=True):
            stop.load_state_dict(saved_stop)
        self.histories[:] = [{k: list(v) for k, v in h.items()} for h in state["histories"]]
        self.epochs_run = [int(e) for e in state["epochs_run"]]
        self.converged = [bool(c) for c in state["converged"]]

    def restore(self, checkpoints: Checkpointer, epochs: int) -> int:
        """Load the job's checkpoint, if there is a usable one; the epochs it had done
        (0, with nothing touched, when there is none or it does not fit: logged)."""
        payload = checkpoints.load(ENSEMBLE_STATE)
        if payload is None:
            return 0
        epoch = payload["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= epochs:
            log.warning("ignoring checkpoint %s: epoch %r of %d", checkpoints.path, epoch, epochs)
            return 0
        before = self.state_dict()
        try:
            self.load_state_dict(payload)
        except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as error:
            self.load_state_dict(before)
            log.warning(
                "ignoring checkpoint %s: it does not fit this ensemble (%s: %s); training "
                "from epoch 0",
                checkpoints.path,
                type(error).__name__,
                str(error).splitlines()[0] if str(error) else "",
            )
            return 0
        log.info("resuming the ensemble from epoch %d of %d: %s", epoch, epochs, checkpoints.path)
        return epoch

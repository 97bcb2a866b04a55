"""Several training runs of one method entry in one job: a vectorised ensemble.

Small networks leave the hardware mostly idle: a training step of a width-32 model is a
few hundred small operations, each too small to fill a GPU or, on a CPU, to outweigh
its own dispatch cost. :func:`fit_ensemble` trains N *members* (runs with their own
seeds, initial weights, examples and batch order) together: their parameters are
stacked along a leading member axis (``torch.func.stack_module_state``) and one batched
step (``torch.func.vmap`` of ``torch.func.functional_call``) computes every member's
loss and gradients, so the number of operations per step is that of one run.

Each member ends exactly where :func:`~hampipe.training.loop.fit` would end it with its
seed (to float rounding; ``tests/training/test_ensemble.py``): the same batches in the
same order (one ``torch.Generator`` per member, seeded alike), the same Adam (Adam is
elementwise, so one Adam over the stacked parameters is one Adam per member; the
learning rate, its schedule and the coupled weight decay stay per member), the same
validation losses and early stopping (a member that stops keeps its best weights and
is frozen while the others train on).

The methods' own losses run inside ``vmap``. Two of their parts need help there: the
fused rational activation (a custom autograd ``Function``) gets a batching rule that
folds the member axis into the units (:class:`_VmappableRational`), and an interval
method's grouping of examples by sub-step count (data-dependent shapes, which ``vmap``
cannot batch) is done before the batched call, each member's group padded to the
largest with zero-weighted examples (:func:`_groups`).
"""

from __future__ import annotations

import copy
import time
import types
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from hampipe.models.activations import Rational, RationalValueAndDerivative
from hampipe.models.device import pick_device
from hampipe.models.intervals import IntervalMethod
from hampipe.models.method import Batch, Method
from hampipe.training.loop import _non_finite_causes, optimiser
from hampipe.training.stopping import EarlyStopping

#: Adam's constants, as ``torch.optim.Adam``'s defaults (which :func:`optimiser` uses).
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


class _MemberLoss(nn.Module):
    """One member's loss as a module call, for ``functional_call`` with its parameters.

    Holds a private copy of the template method (its model's rational activations
    switched to :class:`_VmappableRational`); ``forward(batch, groups)`` is the
    method's loss on ``batch``, or, for an interval method, its loss from the
    pre-grouped examples ``groups`` (see :func:`_groups`).
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
        self.substeps: list[int] = []

    def forward(self, batch: Batch, groups: list[tuple[torch.Tensor, torch.Tensor]]):
        method = self.method
        if not isinstance(method, IntervalMethod):
            return method.loss(batch)
        # IntervalMethod._loss with each group's examples given as padded indices
        total = batch["q0"].new_zeros(())
        for s, (index, weight) in zip(self.substeps, groups, strict=True):
            q, p = method._predict(batch, index, s)
            err = ((q - batch["q"][index]) ** 2).sum(-1) + ((p - batch["p"][index]) ** 2).sum(-1)
            total = total + (err * weight.to(err.dtype)[:, None]).sum()
        return total / (batch["q0"].shape[0] * method.window)


def _groups(substeps: torch.Tensor) -> tuple[list[int], list[tuple[torch.Tensor, torch.Tensor]]]:
    """Each sub-step count S of a stacked batch with, per member, its examples of S.

    ``substeps`` is ``(member, batch)``. For each S present in any member's batch
    (ascending, as :class:`IntervalMethod` loops), returns the indices ``(member, G)``
    of each member's examples with S, in batch order and padded to the largest count G
    with other examples, and their weights (1, or 0 for padding).
    """
    values = torch.unique(substeps).tolist()
    groups = []
    for s in values:
        mask = substeps == s
        count = mask.sum(1)
        size = int(count.max())
        index = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)[:, :size]
        position = torch.arange(size, device=substeps.device)
        weight = (position[None, :] < count[:, None]).to(torch.int8)
        groups.append((index, weight))
    return values, groups


class _StackedAdam:
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


def _stack(batches: Sequence[Batch], device: torch.device) -> Batch:
    """The members' examples stacked on a leading member axis; they must agree in shape."""
    keys = set(batches[0])
    for i, batch in enumerate(batches):
        shapes = {k: tuple(v.shape) for k, v in batch.items()}
        first = {k: tuple(v.shape) for k, v in batches[0].items()}
        if set(batch) != keys or shapes != first:
            raise ValueError(
                f"ensemble member {i} has examples {shapes}, member 0 {first}: members "
                "train together only on examples of equal shapes; train them separately"
            )
    return {k: torch.stack([b[k] for b in batches]).to(device) for k in batches[0]}


def _take(data: Batch, index: torch.Tensor) -> Batch:
    """Each member's rows ``index[m]`` of the stacked ``data`` (``index``: (member, b))."""
    members = torch.arange(index.shape[0], device=index.device)[:, None]
    return {k: v[members, index] for k, v in data.items()}


def fit_ensemble(
    methods: Sequence[Method],
    examples: Sequence[Batch],
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seeds: Sequence[int],
    device: torch.device | None = None,
    validation: Sequence[Batch] | None = None,
    key: str | None = None,
    *,
    lr_schedule: str = "cosine",
    weight_decay: float = 0.0,
    patience: int = 0,
    min_improvement: float = 0.0,
) -> list[dict[str, Any]]:
    """Train ``methods[m]`` on ``examples[m]`` with seed ``seeds[m]``, all in one batched step.

    The result equals N calls of :func:`~hampipe.training.loop.fit` with the same
    arguments (without checkpoints), member by member, to float rounding: same batch
    order, Adam, learning-rate schedule, weight decay, validation losses and early
    stopping (see the module docstring). The members are runs of one method entry:
    the same method class and model architecture (their scales, initial weights,
    examples and validation examples may differ, but the example tensors must agree
    in shape). The job runs until every member has stopped or reached ``epochs``; a
    member that stops early is frozen and ends with its best weights, as ``fit`` ends.
    Training state lives in stacked tensors; each member's model receives its final
    weights at the end.

    Parameters
    ----------
    methods, examples, seeds
        One per member.
    validation
        One held-out batch per member (or ``None``: no validation).
    epochs, batch_size, learning_rate, device, key, lr_schedule, weight_decay, patience,
    min_improvement
        As :func:`~hampipe.training.loop.fit`'s.

    Returns
    -------
    list of dict
        Each member's history, with the keys of ``fit``'s; ``seconds`` are the wall
        seconds of the ensemble's epochs (shared by the members that ran them).
    """
    n_members = len(methods)
    if not (n_members == len(examples) == len(seeds)) or n_members == 0:
        raise ValueError(
            f"fit_ensemble needs one method, example batch and seed per member; got "
            f"{len(methods)} methods, {len(examples)} example batches and {len(seeds)} seeds"
        )
    kinds = {(type(m), type(m.model), tuple(m.model.state_dict())) for m in methods}
    if len(kinds) != 1:
        raise ValueError("ensemble members must be one method entry: same method and model")
    device = device or pick_device()
    where = key or f"methods.{methods[0].name}"
    models = [m.model.to(device=device, dtype=m.dtype).train() for m in methods]
    data = _stack(examples, device)
    held_out = _stack(validation, device) if validation else {}
    stops = [EarlyStopping(patience, min_improvement) for _ in methods]
    if stops[0].enabled and not held_out:
        raise ValueError(
            f"{where}.patience: {patience}, but early stopping needs validation examples "
            f"({where}.validation is 0)"
        )
    params, buffers = stack_module_state(models)
    adam = _StackedAdam(params, weight_decay)
    # each member's schedule is fit's own, driven by a placeholder of its optimiser
    schedules = [
        optimiser(
            [torch.zeros(1, requires_grad=True)], learning_rate, epochs, lr_schedule,
            weight_decay, patience, min_improvement,
        )
        for _ in methods
    ]  # fmt: skip
    generators = [torch.Generator().manual_seed(int(s)) for s in seeds]
    member_loss = _MemberLoss(methods[0]).to(device)
    adam.skip_unused(_used_parameters(member_loss, data, batch_size))

    def losses(batch: Batch) -> torch.Tensor:
        """Every member's loss on its own rows of the stacked ``batch``, ``(member,)``."""
        groups: list = []
        if isinstance(member_loss.method, IntervalMethod):
            member_loss.substeps, groups = _groups(batch["substeps"])

        def one(p, b, batch, groups):
            state = {f"model.{k}": v for k, v in {**p, **b}.items()}
            return functional_call(member_loss, state, (batch, groups))

        return vmap(one)(params, buffers, batch, groups)

    histories: list[dict[str, list[float]]] = [
        {"loss": [], "validation_loss": [], "learning_rate": [], "seconds": []} for _ in methods
    ]
    active = torch.ones(n_members, dtype=torch.bool, device=device)
    epochs_run, converged = [0] * n_members, [False] * n_members
    n = next(iter(data.values())).shape[1]
    for epoch in range(epochs):
        if not bool(active.any()):
            break
        start = time.perf_counter()
        running = active.tolist()
        lr = [opt.param_groups[0]["lr"] for opt, _ in schedules]
        lr_tensor = torch.tensor(lr, dtype=torch.float64, device=device)
        order = torch.stack([torch.randperm(n, generator=g) for g in generators]).to(device)
        total = torch.zeros(n_members, dtype=torch.float64, device=device)
        for begin in range(0, n, batch_size):
            index = order[:, begin : begin + batch_size]
            loss = losses(_take(data, index))
            finite = torch.isfinite(loss) | ~active
            if not bool(finite.all()):
                m = int((~finite).nonzero()[0])
                raise FloatingPointError(
                    f"{where} (seed {seeds[m]}): loss became {loss[m].item()} at epoch "
                    f"{epoch + 1} of {epochs}. "
                    + _non_finite_causes(where, learning_rate, methods[m].settings.as_dict())
                )
            adam.zero_grad()
            loss.sum().backward()
            adam.step(lr_tensor, active)
            total += loss.detach().double() * index.shape[1]
        validation_loss = _validation_losses(losses, held_out, batch_size) if held_out else None
        seconds = time.perf_counter() - start
        for m in (m for m in range(n_members) if running[m]):
            history, (opt, scheduler) = histories[m], schedules[m]
            history["learning_rate"].append(lr[m])
            history["loss"].append(float(total[m]) / n)
            if validation_loss is not None:
                history["validation_loss"].append(validation_loss[m])
            opt.step()  # no gradient: moves nothing; the scheduler checks it was called
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(history["validation_loss"][-1])
            else:
                scheduler.step()
            history["seconds"].append(seconds)
            epochs_run[m] = epoch + 1
            if held_out and stops[m].enabled:
                _load_member(models[m], params, buffers, m)
                if stops[m].update(epoch + 1, history["validation_loss"][-1], models[m]):
                    converged[m] = True
                    active[m] = False
    results = []
    for m, model in enumerate(models):
        _load_member(model, params, buffers, m)
        stops[m].restore_best(model)
        model.eval()
        summary = stops[m].summary(epochs_run[m], epochs, converged[m])
        results.append({**histories[m], **summary})
    return results


def _used_parameters(member_loss: _MemberLoss, data: Batch, batch_size: int) -> set[str]:
    """The parameters that a single run's loss gives a gradient (member 0, first batch)."""
    method = member_loss.method
    batch = {k: v[0, :batch_size] for k, v in data.items()}
    method.model.zero_grad(set_to_none=True)
    method.loss(batch).backward()
    used = {k for k, v in method.model.named_parameters() if v.grad is not None}
    method.model.zero_grad(set_to_none=True)
    return used


def _validation_losses(losses, held_out: Batch, batch_size: int) -> list[float]:
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


def _load_member(
    model: nn.Module, params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor], m: int
) -> None:
    """Copy member ``m``'s slice of the stacked parameters and buffers into ``model``."""
    with torch.no_grad():
        model.load_state_dict({k: v[m] for k, v in {**params, **buffers}.items()})

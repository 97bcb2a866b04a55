"""Top layer: benchmarks of the library against plain references (``python -m hampipe.bench``).

- :mod:`hampipe.bench.reference`: every method's loss written the most general way
  (autograd double backward through every integrator sub-step), the generic baseline
  the training code is checked and timed against; training never imports it.
- :mod:`hampipe.bench.plain`: SANN's and SRNN's loss as the SRNN authors' code computes
  it (∂V/∂q by autograd, ∂T/∂p in closed form), their benchmark reference, and the
  choice of each method's references;
- :mod:`hampipe.bench.train`: ``python -m hampipe.bench train``, the training step of
  each method against its references, after checking that all compute the same loss
  and gradients, and against the machine's dense matmul throughput; its parts are
  :mod:`hampipe.bench.workload` (what each run trains on),
  :mod:`hampipe.bench.equivalence` (the check), :mod:`hampipe.bench.timing` and
  :mod:`hampipe.bench.flops` (FLOP counts and the measured matmul ceiling).
- :mod:`hampipe.bench.ground_truth`: ``python -m hampipe.bench ground_truth``, a
  system's ``simulate`` jobs (train and test split) at a config's sizes.
- :mod:`hampipe.bench.gpu`: ``python -m hampipe.bench gpu``, the prepared run for a
  borrowed GPU machine; its last stage, :mod:`hampipe.bench.comparison`, is a
  time-boxed slice of the three-body comparison at the paper's sizes (each method's
  run in :mod:`hampipe.bench.timeboxed`).
"""

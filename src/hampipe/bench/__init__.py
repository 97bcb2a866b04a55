"""Top layer: benchmarks of the library against plain references (``python -m hampipe.bench``).

- :mod:`hampipe.bench.reference`: every method's loss written the obvious way (autograd
  double backward through every integrator sub-step), the baseline the training code is
  checked and timed against; training never imports it.
- :mod:`hampipe.bench.train`: ``python -m hampipe.bench train``, the training step of
  each method against that reference, after checking that both compute the same loss
  and gradients; its parts are :mod:`hampipe.bench.workload` (what each run trains on),
  :mod:`hampipe.bench.equivalence` (the check) and :mod:`hampipe.bench.timing`.
- :mod:`hampipe.bench.ground_truth`: ``python -m hampipe.bench ground_truth``, a
  system's ``simulate`` jobs (train and test split) at a config's sizes.
"""

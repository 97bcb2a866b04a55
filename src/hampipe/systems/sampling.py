"""Initial-state sampling shared by the HNN-style recipes."""

from __future__ import annotations

import numpy as np


def point_at_random_radius(
    rng: np.random.Generator, n: int, radius: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` planar points: a direction from U[−1, 1]², rescaled to r ~ U[radius].

    This is the HNN recipe (pendulum, spring, three-body): the direction comes from the
    square, so it is not uniform on the circle. Returns the points ``(n, 2)`` and their
    radii ``(n, 1)``; the direction is drawn before the radius.
    """
    direction = rng.uniform(-1.0, 1.0, size=(n, 2))
    r = rng.uniform(radius[0], radius[1], size=(n, 1))
    return direction / np.linalg.norm(direction, axis=1, keepdims=True) * r, r

"""Orbit animations on synthetic collected datasets with known answers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image, ImageSequence  # noqa: E402

from hampipe.plotting.animation import write_orbit_animation  # noqa: E402

from .rollout_fakes import circles, same, spring  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_orbit_animation_writes_a_gif_with_the_requested_frames(tmp_path):
    ds = circles([0.01, 0.05], diverge_method=1, diverge_at=30)
    out = tmp_path / "anim" / "orbits.gif"
    times = write_orbit_animation(ds, out, trajectory=2, seed=1, frames=7, fps=10)
    assert isinstance(times, np.ndarray) and len(times) == 7
    np.testing.assert_allclose(times, ds.time.values[[0, 7, 13, 20, 27, 33, 40]])
    assert times[0] == ds.time.values[0] and times[-1] == ds.time.values[-1]
    with Image.open(out) as gif:
        assert gif.format == "GIF"
        assert '"hampipe_version"' in gif.info["comment"].decode()  # its provenance record
        assert sum(1 for _ in ImageSequence.Iterator(gif)) == 7
    assert [p.name for p in out.parent.iterdir()] == ["orbits.gif"]  # no temporary left
    assert plt.get_fignums() == []


def test_orbit_animation_caps_frames_and_refuses_non_planar_systems(tmp_path):
    ds = circles([0.01], n_traj=1, seeds=1, n_time=5)
    times = write_orbit_animation(ds, tmp_path / "short.gif", frames=60)
    same(times, ds.time)
    with pytest.raises(ValueError, match="'spring'"):
        write_orbit_animation(spring(), tmp_path / "spring.gif")
    with pytest.raises(ValueError, match=r"\.gif"):
        write_orbit_animation(ds, tmp_path / "orbits.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.gif"]


def test_orbit_animation_is_readable_and_lasts_ten_seconds(tmp_path):
    ds = circles([0.01, 0.05], n_time=121)
    out = tmp_path / "orbits.gif"
    times = write_orbit_animation(ds, out, frames=120)
    assert len(times) == 120
    with Image.open(out) as gif:
        assert gif.height >= 400
        durations = [frame.info["duration"] for frame in ImageSequence.Iterator(gif)]
    assert 9.0 <= sum(durations) / 1000 <= 11.0


def test_the_animation_page_embeds_the_gif(tmp_path):
    import base64

    from hampipe.plotting.animation import write_animation_page

    gif = tmp_path / "orbits.gif"
    write_orbit_animation(circles([0.01], n_time=5), gif, frames=3)
    page = write_animation_page(gif, tmp_path / "orbits.html", "two-body <1>", "1 seed")
    text = page.read_text()
    data = text.split("data:image/gif;base64,")[1].split("'")[0]
    assert base64.b64decode(data) == gif.read_bytes()
    assert "two-body &lt;1&gt;" in text and "<p>1 seed</p>" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orbits.gif", "orbits.html"]

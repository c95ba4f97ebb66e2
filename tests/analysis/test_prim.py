"""PRIM scenario discovery (dmpsim.analysis.prim)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dmpsim.analysis.prim import PrimBox, prim_boxes


def _planted(seed: int, n_dims: int, n: int = 2000, noise: float = 0.02):
    """Uniform inputs; y is true inside x0 in [0.2, 0.7] and x2 in [0.3, 0.8], with label flips."""
    gen = np.random.default_rng(seed)
    X = pd.DataFrame(gen.uniform(size=(n, n_dims)), columns=[f"x{i}" for i in range(n_dims)])
    inside = X.x0.between(0.2, 0.7) & X.x2.between(0.3, 0.8)
    y = inside.to_numpy() ^ (gen.uniform(size=n) < noise)
    return X, y


PLANTED = {"x0": (0.2, 0.7), "x2": (0.3, 0.8)}


def _span(box: PrimBox, name: str) -> float:
    """Width of the box along an input with range [0, 1] (1.0 when unrestricted)."""
    lo, hi = box.limits.get(name, (-np.inf, np.inf))
    return min(hi, 1.0) - max(lo, 0.0)


@pytest.mark.parametrize(("seed", "n_dims"), [(0, 3), (1, 4), (2, 5)])
@pytest.mark.parametrize("threshold", [0.9, None])
def test_prim_recovers_planted_box(seed, n_dims, threshold):
    X, y = _planted(seed, n_dims)
    boxes = prim_boxes(X, y, threshold=threshold)
    assert len(boxes) == 1
    box = boxes[0]
    for name, (lo, hi) in PLANTED.items():
        assert name in box.limits
        assert box.limits[name][0] == pytest.approx(lo, abs=0.1)
        assert box.limits[name][1] == pytest.approx(hi, abs=0.1)
    for name in X.columns.difference(list(PLANTED)):
        assert _span(box, name) >= 0.9, f"{name} restricted to {box.limits.get(name)}"
    # With 2% label noise about 94% of the positives lie in the planted box.
    assert box.coverage >= 0.85
    assert box.density >= 0.9 if threshold else box.density >= 0.85


def test_box_statistics_agree_with_contains():
    X, y = _planted(3, 4)
    box = prim_boxes(X, y, threshold=0.9)[0]
    mask = box.contains(X)
    assert mask.sum() == box.n_points
    assert y[mask].sum() == box.n_positive
    assert box.density == pytest.approx(y[mask].mean())
    assert box.mass == pytest.approx(mask.mean())
    assert box.coverage == pytest.approx(y[mask].sum() / y.sum())


def test_peeling_trajectory():
    X, y = _planted(4, 3)
    box = prim_boxes(X, y, threshold=0.9, min_mass=0.1)[0]
    traj = box.trajectory
    assert list(traj.columns) == [
        "step",
        "coverage",
        "density",
        "mass",
        "n_points",
        "n_positive",
        "n_restricted",
    ]
    first = traj.iloc[0]
    assert (first.coverage, first.mass, first.n_restricted) == (1.0, 1.0, 0)
    assert first.density == pytest.approx(y.mean())
    assert (np.diff(traj.mass) < 0).all()  # every peel removes points
    assert (np.diff(traj.coverage) <= 0).all()
    assert traj.mass.iloc[-1] >= 0.1
    # Each alpha-peel removes about 5% of the box, so the last step cannot be far above 0.1.
    assert traj.mass.iloc[-1] < 0.1 / 0.9
    # The chosen box is the first step reaching the threshold.
    assert traj.density.iloc[box.step] >= 0.9 > traj.density.iloc[: box.step].max()
    assert box.at_step(0).limits == {}
    later = box.at_step(len(traj) - 1)
    assert later.mass == pytest.approx(traj.mass.iloc[-1])
    assert later.contains(X).sum() == later.n_points


def test_categorical_and_integer_inputs():
    gen = np.random.default_rng(7)
    n = 3000
    X = pd.DataFrame(
        {
            "a": gen.uniform(size=n),
            "kind": gen.choice(["jury", "assembly", "poll", "panel"], size=n),
            "flag": gen.uniform(size=n) < 0.5,
            "seats": gen.integers(0, 5, size=n),  # heavy ties: peels must still progress
        }
    )
    inside = (X.a < 0.5) & X.kind.isin(["jury", "poll"]) & (X.seats <= 2)
    y = inside.to_numpy() ^ (gen.uniform(size=n) < 0.01)
    box = prim_boxes(X, y, threshold=0.9)[0]
    assert set(box.limits["kind"]) == {"jury", "poll"}
    assert box.limits["a"][1] == pytest.approx(0.5, abs=0.1)
    assert box.limits["seats"][1] == 2.0
    assert "flag" not in box.limits
    frame = box.to_frame()
    assert list(frame.columns) == ["parameter", "low", "high", "categories"]
    assert frame.set_index("parameter").loc["kind", "categories"] == box.limits["kind"]
    text = box.describe()
    assert "kind in {" in text and "seats <= 2" in text and "coverage" in text


def test_covering_finds_two_disjoint_boxes():
    gen = np.random.default_rng(9)
    n = 4000
    X = pd.DataFrame(gen.uniform(size=(n, 3)), columns=["p", "q", "r"])
    first = (X.p < 0.3) & (X.q < 0.4)
    second = (X.p > 0.6) & (X.r > 0.7)
    y = (first | second).to_numpy() ^ (gen.uniform(size=n) < 0.01)
    boxes = prim_boxes(X, y, threshold=0.85, max_boxes=4)
    assert len(boxes) == 2
    assert [b.box_number for b in boxes] == [1, 2]
    found = sorted(boxes, key=lambda b: b.limits["p"][0])
    assert found[0].limits["p"][1] == pytest.approx(0.3, abs=0.1)
    assert found[0].limits["q"][1] == pytest.approx(0.4, abs=0.1)
    assert found[1].limits["p"][0] == pytest.approx(0.6, abs=0.1)
    assert found[1].limits["r"][0] == pytest.approx(0.7, abs=0.1)
    assert sum(b.coverage for b in boxes) >= 0.85
    # The second box was found among the points outside the first.
    second_pts = boxes[1].contains(X) & ~boxes[0].contains(X)
    assert second_pts.sum() == boxes[1].n_points
    assert y[second_pts].sum() == boxes[1].n_positive


def test_no_box_when_threshold_is_out_of_reach():
    gen = np.random.default_rng(10)
    X = pd.DataFrame(gen.uniform(size=(1000, 3)), columns=["a", "b", "c"])
    y = gen.uniform(size=1000) < 0.1  # pure noise
    assert prim_boxes(X, y, threshold=0.9) == []


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"X": np.zeros((5, 2))}, "DataFrame"),
        ({"y": np.ones(3, dtype=bool)}, "one label per row"),
        ({"y": np.full(10, 2)}, "boolean"),
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"min_mass": 1.0}, "min_mass"),
        ({"peel_alpha": 0.6}, "peel_alpha"),
        ({"max_boxes": 0}, "max_boxes"),
        ({"X": pd.DataFrame({"a": [np.nan] + [0.0] * 9})}, "missing"),
        ({"X": pd.DataFrame({0: np.arange(10.0)})}, "strings"),
        ({"X": pd.DataFrame(index=range(10))}, "at least one"),
    ],
)
def test_bad_arguments_raise_one_line_value_error(kwargs, fragment):
    args = {"X": pd.DataFrame({"a": np.arange(10.0)}), "y": np.arange(10) < 5, **kwargs}
    with pytest.raises(ValueError, match=fragment) as err:
        prim_boxes(**args)
    assert "\n" not in str(err.value)


def test_at_step_rejects_unknown_step():
    X, y = _planted(0, 3, n=500)
    box = prim_boxes(X, y, threshold=None)[0]
    with pytest.raises(ValueError, match="step"):
        box.at_step(len(box.trajectory))

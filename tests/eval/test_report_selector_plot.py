"""The selector's top-k plot in the eval report."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from eval.report import _selector_plot


def _data(values: dict[str, tuple[float | None, ...]]) -> dict:
    per_mode = {
        m: {f"selector_gold_at_{k}": v for k, v in zip((1, 3, 5), vs, strict=True)}
        for m, vs in values.items()
    }
    return {"modes": list(values), "per_mode": per_mode}


def test_the_plot_has_one_group_per_k_and_one_bar_per_mode(tmp_path):
    paths = _selector_plot(
        _data({"select": (0.6, 0.9, 1.0), "grounded": (0.5, 0.8, 0.95)}), tmp_path, plt, np
    )
    assert paths == [str(tmp_path / "selector_at_k.png")]
    assert (tmp_path / "selector_at_k.png").stat().st_size > 1000


def test_modes_without_selector_figures_are_left_out_and_none_means_no_plot(tmp_path):
    assert _selector_plot(_data({"free": (None, None, None)}), tmp_path, plt, np) == []
    assert not (tmp_path / "selector_at_k.png").exists()

"""History: recording, best epoch, CSV round trip."""

import math
import os

import pytest

from groundup.train import History


def make_history():
    h = History()
    h.append(1, {"loss": 1.0, "accuracy": 0.5, "val_loss": 1.2, "val_accuracy": 0.4, "lr": 0.1})
    h.append(2, {"loss": 0.5, "accuracy": 0.7, "val_loss": 0.9, "val_accuracy": 0.6, "lr": 0.1})
    h.append(3, {"loss": 0.25, "accuracy": 0.9, "val_loss": 1.0, "val_accuracy": 0.65,
                 "lr": 0.01})
    return h


def test_records_lists_per_key():
    h = make_history()
    assert len(h) == 3 and h.epochs == [1, 2, 3]
    assert h["loss"] == [1.0, 0.5, 0.25]
    assert h.history["val_accuracy"] == [0.4, 0.6, 0.65]
    assert list(h.keys()) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert "val_loss" in h and "f1" not in h
    assert h.last()["loss"] == 0.25
    assert repr(h).startswith("History(epochs=3")
    with pytest.raises(KeyError, match="no key 'f1'.*val_loss"):
        h["f1"]


def test_missing_and_late_keys_are_nan_padded():
    h = History()
    h.append(1, {"loss": 1.0})
    h.append(2, {"loss": 0.5, "val_loss": 0.7})
    h.append(3, {"val_loss": 0.6})
    assert math.isnan(h["val_loss"][0]) and h["val_loss"][1:] == [0.7, 0.6]
    assert math.isnan(h["loss"][2])
    assert all(len(v) == 3 for v in h.history.values())


def test_best_min_max_auto_and_nan():
    h = make_history()
    assert h.best("val_loss") == (2, 0.9, h.row(1))
    best = h.best("val_accuracy")               # auto: accuracy is maximised
    assert best.epoch == 3 and best.value == 0.65 and best.logs["loss"] == 0.25
    assert h.best("val_accuracy", mode="min").epoch == 1
    h.append(4, {"val_loss": float("nan")})
    assert h.best("val_loss").epoch == 2        # nan is skipped
    with pytest.raises(ValueError, match="mode"):
        h.best("loss", mode="lowest")
    empty = History({"loss": [float("nan")]})
    with pytest.raises(ValueError, match="no finite value"):
        empty.best("loss")


def test_csv_round_trip_is_exact(tmp_path):
    h = make_history()
    h.append(4, {"loss": 1 / 3, "val_loss": float("nan")})
    path = h.to_csv(tmp_path / "sub" / "history.csv")
    assert os.path.exists(path)
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["history.csv"]  # no temp file
    text = open(path).read().splitlines()
    assert text[0] == "epoch,loss,accuracy,val_loss,val_accuracy,lr"
    assert len(text) == 5
    back = History.from_csv(path)
    assert back.epochs == h.epochs
    assert list(back.keys()) == list(h.keys())
    for key in h.keys():
        for a, b in zip(h[key], back[key], strict=True):
            assert (math.isnan(a) and math.isnan(b)) or a == b  # repr floats: exact
    assert back["loss"][3] == 1 / 3


def test_from_csv_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("epoch,loss\n1,0.5\n2,oops\n")
    with pytest.raises(ValueError, match=r"line 3, column 'loss': 'oops' is not a number"):
        History.from_csv(bad)
    bad.write_text("step,loss\n1,0.5\n")
    with pytest.raises(ValueError, match="first column must be 'epoch'"):
        History.from_csv(bad)
    bad.write_text("epoch,loss\n1,0.5,7\n")
    with pytest.raises(ValueError, match="line 2 has 3 cells"):
        History.from_csv(bad)
    bad.write_text("")
    with pytest.raises(ValueError, match="empty"):
        History.from_csv(bad)


def test_constructor_and_extend():
    h = History({"loss": [3.0, 2.0]})
    assert h.epochs == [1, 2]
    with pytest.raises(ValueError, match="one value per epoch"):
        History({"loss": [1.0], "val_loss": [1.0, 2.0]})
    more = History({"loss": [1.0]}, epochs=[3])
    more.stop_reason = "early stopping"
    h.extend(more)
    assert h.epochs == [1, 2, 3] and h["loss"] == [3.0, 2.0, 1.0]
    assert h.stop_reason == "early stopping"


def test_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = make_history().plot(tmp_path / "curves.png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"

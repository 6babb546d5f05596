"""Metrics against values computed by hand (no scikit-learn)."""

import math

import numpy as np
import pytest

import groundup as gu
from groundup.train import metrics as M

Y_TRUE = np.array([0, 0, 1, 1, 2, 2])
Y_PRED = np.array([0, 1, 1, 1, 2, 0])
# confusion matrix by hand (rows true, columns predicted):
#   true 0: predicted 0 once, 1 once        -> [1, 1, 0]
#   true 1: predicted 1 twice               -> [0, 2, 0]
#   true 2: predicted 2 once, 0 once        -> [1, 0, 1]
CM = np.array([[1, 1, 0], [0, 2, 0], [1, 0, 1]])
P = [1 / 2, 2 / 3, 1 / 1]           # tp / predicted count per class
R = [1 / 2, 2 / 2, 1 / 2]           # tp / true count per class
F = [2 * p * r / (p + r) for p, r in zip(P, R, strict=True)]


def onehot_logits(labels, num_classes, scale=3.0):
    out = np.zeros((len(labels), num_classes), np.float32)
    out[np.arange(len(labels)), labels] = scale
    return out


# ------------------------------------------------------------------ accuracy
def test_accuracy_from_labels_logits_and_probabilities():
    assert M.accuracy(Y_TRUE, Y_PRED) == pytest.approx(4 / 6)
    logits = onehot_logits(Y_PRED, 3) - 1.0  # negative scores: argmax still works
    assert M.accuracy(Y_TRUE, logits) == pytest.approx(4 / 6)
    e = np.exp(logits)
    assert M.accuracy(Y_TRUE, e / e.sum(1, keepdims=True)) == pytest.approx(4 / 6)


def test_accuracy_accepts_tensors_and_lists():
    logits = gu.tensor(onehot_logits(Y_PRED, 3))
    assert M.accuracy(gu.tensor(Y_TRUE), logits) == pytest.approx(4 / 6)
    assert M.accuracy(list(Y_TRUE), list(Y_PRED)) == pytest.approx(4 / 6)


def test_accuracy_binary_probabilities_threshold_half():
    y = np.array([0, 1, 1, 0])
    p = np.array([0.2, 0.7, 0.4, 0.6], np.float32)  # labels 0 1 0 1 -> 2 of 4
    assert M.accuracy(y, p) == pytest.approx(0.5)
    assert M.accuracy(y, p[:, None]) == pytest.approx(0.5)          # (N, 1) scores
    assert M.accuracy(y[:, None].astype(np.float32), p[:, None]) == pytest.approx(0.5)
    assert M.accuracy(y.astype(np.float32), p) == pytest.approx(0.5)  # BCE-style targets


def test_accuracy_binary_logits_threshold_zero():
    y = np.array([0, 1, 1, 0])
    logits = np.array([-2.0, 1.5, -0.3, 0.1])  # outside [0, 1]: logits, labels 0 1 0 1
    assert M.accuracy(y, logits) == pytest.approx(0.5)
    # logits that happen to lie in [0, 1] need the explicit threshold
    small = np.array([0.1, 0.3, 0.2, 0.05])
    assert M.accuracy(y, small) == pytest.approx(0.5)  # read as probabilities: all 0
    assert M.accuracy(y, small, threshold=0.0) == pytest.approx(0.5)  # all 1
    assert M.accuracy(y, np.array([-1.0, 0.2, 0.3, -0.1]), threshold=0.0) == 1.0


def test_accuracy_one_hot_targets_and_multilabel():
    targets = np.eye(3, dtype=np.float32)[Y_TRUE]
    assert M.accuracy(targets, onehot_logits(Y_PRED, 3)) == pytest.approx(4 / 6)
    multi = np.array([[1, 0], [1, 1], [0, 0]], np.float32)  # rows do not sum to 1
    probs = np.array([[0.9, 0.2], [0.8, 0.1], [0.3, 0.4]], np.float32)
    assert M.accuracy(multi, probs) == pytest.approx(5 / 6)  # element by element


def test_accuracy_sequence_scores_class_axis():
    y = np.array([[0, 1, 2], [2, 2, 0]])                      # (N=2, T=3)
    scores = np.zeros((2, 3, 3), np.float32)                   # (N, C, T)
    for n in range(2):
        for t in range(3):
            scores[n, y[n, t], t] = 1.0
    scores[1, :, 2] = [0.0, 5.0, 0.0]                          # one wrong
    assert M.accuracy(y, scores) == pytest.approx(5 / 6)
    assert M.accuracy(y, np.moveaxis(scores, 1, -1)) == pytest.approx(5 / 6)  # (N, T, C)


def test_accuracy_errors():
    with pytest.raises(ValueError, match="not class labels"):
        M.accuracy(np.array([0.3, 1.7]), np.array([0.1, 0.9]))
    with pytest.raises(ValueError, match=r"shape \(4, 3\).*shape \(5,\)"):
        M.accuracy(np.zeros(5, np.int64), np.zeros((4, 3), np.float32))
    with pytest.raises(TypeError, match="dtype"):
        M.accuracy(np.array(["a", "b"]), np.array([0, 1]))
    assert math.isnan(M.accuracy(np.zeros(0, np.int64), np.zeros((0, 3), np.float32)))


# --------------------------------------------------------------------- top-k
def test_top_k_accuracy_by_hand():
    scores = np.array([[0.1, 0.5, 0.3, 0.1],    # true 2: second highest
                       [0.7, 0.1, 0.1, 0.1],    # true 3: tied lowest (0 strictly above? 1)
                       [0.1, 0.2, 0.3, 0.4]],   # true 0: lowest
                      np.float32)
    y = np.array([2, 3, 0])
    assert M.top_k_accuracy(y, scores, k=1) == 0.0
    assert M.top_k_accuracy(y, scores, k=2) == pytest.approx(2 / 3)  # ties count in favour
    assert M.top_k_accuracy(y, scores, k=3) == pytest.approx(2 / 3)
    assert M.top_k_accuracy(y, scores, k=4) == 1.0
    assert M.top_k_accuracy(y, scores, k=10) == 1.0
    top2 = M.get_metric("top2")
    assert top2(y, scores) == pytest.approx(2 / 3)


def test_top_k_errors():
    with pytest.raises(ValueError, match="class axis"):
        M.top_k_accuracy(np.array([0, 1]), np.array([0, 1]))
    with pytest.raises(ValueError, match="at least 1"):
        M.top_k_accuracy(np.array([0]), np.ones((1, 3), np.float32), k=0)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        M.top_k_accuracy(np.array([3]), np.ones((1, 3), np.float32))


# -------------------------------------------------------- confusion and F1
def test_confusion_matrix_by_hand():
    cm = M.confusion_matrix(Y_TRUE, Y_PRED)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, CM)
    np.testing.assert_array_equal(M.confusion_matrix(Y_TRUE, onehot_logits(Y_PRED, 3)), CM)
    big = M.confusion_matrix(Y_TRUE, Y_PRED, num_classes=5)
    assert big.shape == (5, 5) and big.sum() == 6 and big[3:].sum() == 0
    # binary scores give a 2x2 matrix even when one class is never predicted
    np.testing.assert_array_equal(M.confusion_matrix([0, 0], [0.1, 0.2]), [[2, 0], [0, 0]])


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match=r"true labels must lie in \[0, 2\)"):
        M.confusion_matrix([0, 2], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="predicted labels"):
        M.confusion_matrix([0, 1], [0, -1])


def test_precision_recall_f1_macro_by_hand():
    assert M.precision(Y_TRUE, Y_PRED) == pytest.approx(np.mean(P))
    assert M.recall(Y_TRUE, Y_PRED) == pytest.approx(np.mean(R))
    assert M.f1(Y_TRUE, Y_PRED) == pytest.approx(np.mean(F))
    np.testing.assert_allclose(M.precision(Y_TRUE, Y_PRED, average=None), P)
    np.testing.assert_allclose(M.recall(Y_TRUE, Y_PRED, average=None), R)
    np.testing.assert_allclose(M.f1(Y_TRUE, Y_PRED, average=None), F)
    for fn in (M.precision, M.recall, M.f1):
        assert fn(Y_TRUE, Y_PRED, average="micro") == pytest.approx(4 / 6)
    support = np.array([2, 2, 2])
    assert M.f1(Y_TRUE, Y_PRED, average="weighted") == pytest.approx(
        (np.array(F) * support).sum() / 6)


def test_macro_average_skips_absent_classes_and_zero_division():
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.array([0, 0, 0, 0])            # class 1 never predicted: precision 0
    assert M.precision(y_true, y_pred) == pytest.approx((0.5 + 0.0) / 2)
    assert M.recall(y_true, y_pred) == pytest.approx((1.0 + 0.0) / 2)
    # num_classes=4: classes 2 and 3 occur nowhere and are left out of the average
    assert M.recall(y_true, y_pred, num_classes=4) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="average"):
        M.f1(y_true, y_pred, average="samples")


def test_binary_f1_with_logits_threshold():
    y = np.array([1, 0, 1, 1])
    logits = np.array([2.0, -1.0, -0.5, 0.3])  # labels 1 0 0 1
    # class 0: P = 1/2, R = 1; class 1: P = 1, R = 2/3
    f_0, f_1 = 2 * 0.5 / 1.5, 2 * (2 / 3) / (5 / 3)
    assert M.f1(y, logits) == pytest.approx((f_0 + f_1) / 2)


# --------------------------------------------------------------- regression
def test_regression_metrics_by_hand():
    t = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.5, 2.0, 2.0, 5.0], np.float32)
    assert M.mse(t, p) == pytest.approx((0.25 + 0 + 1 + 1) / 4)
    assert M.rmse(t, p) == pytest.approx(math.sqrt(2.25 / 4))
    assert M.mae(t, p) == pytest.approx((0.5 + 0 + 1 + 1) / 4)
    ss_res, ss_tot = 2.25, (2.25 + 0.25 + 0.25 + 2.25)
    assert M.r2(t, p) == pytest.approx(1 - ss_res / ss_tot)
    assert M.mse(t, p[:, None]) == pytest.approx(2.25 / 4)  # (N, 1) against (N,)
    assert M.r2(gu.tensor(t), gu.tensor(p)) == pytest.approx(1 - ss_res / ss_tot)


def test_r2_multioutput_and_constant_targets():
    t = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    p = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    # column 0: 1 - 1/2 = 0.5; column 1 constant and exact: 1.0
    assert M.r2(t, p) == pytest.approx(0.75)
    assert M.r2(np.full(3, 2.0), np.array([2.0, 2.0, 2.5])) == 0.0
    with pytest.raises(ValueError, match=r"\(3,\) do not match targets of shape \(4,\)"):
        M.mse(np.zeros(4), np.zeros(3))


# ----------------------------------------------------------------- registry
def test_registry_and_resolution():
    for name in ("accuracy", "acc", "precision", "recall", "f1", "mse", "rmse", "mae", "r2"):
        assert M.get_metric(name) is M.METRICS[name]
    assert M.get_metric("top5").keywords == {"k": 5}
    with pytest.raises(ValueError, match="unknown metric 'auroc'"):
        M.get_metric("auroc")

    def my_score(y_true, y_pred):
        return 1.0

    assert M.resolve_metrics(None) == []
    assert M.resolve_metrics("f1") == [("f1", M.f1)]
    assert M.resolve_metrics(["accuracy", my_score]) == [("accuracy", M.accuracy),
                                                          ("my_score", my_score)]
    assert [n for n, _ in M.resolve_metrics({"acc@1": "accuracy", "mine": my_score})] == [
        "acc@1", "mine"]
    with pytest.raises(ValueError, match="name"):
        M.resolve_metrics([lambda a, b: 0.0])
    with pytest.raises(ValueError, match="twice"):
        M.resolve_metrics(["f1", "f1"])
    with pytest.raises(ValueError, match="reserved"):
        M.resolve_metrics({"loss": "mse"})


def test_greater_is_better():
    for name in ("accuracy", "val_accuracy", "acc", "f1", "val_top5", "r2", "precision"):
        assert M.greater_is_better(name), name
    for name in ("loss", "val_loss", "mse", "val_mae", "rmse", "lr", "error_rate"):
        assert not M.greater_is_better(name), name

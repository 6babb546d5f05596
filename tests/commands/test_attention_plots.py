"""`groundup train vit` draws attention.png next to its checkpoint (commands/tasks.py)."""

from .support import PNG


def test_vit_run_draws_attention(gu_main, tmp_path):
    out = gu_main("train", "vit", "--epochs", "1", "--out", tmp_path / "vit", "--no-progress")
    assert "test accuracy" in out.stdout and "attention.png" in out.stdout
    assert (tmp_path / "vit" / "attention.png").read_bytes().startswith(PNG)
    assert (tmp_path / "vit" / "best.safetensors").exists()


def test_models_without_attention_draw_none(gu_main, tmp_path):
    gu_main("train", "logreg", "--epochs", "1", "--out", tmp_path / "lr", "--no-progress")
    assert not (tmp_path / "lr" / "attention.png").exists()

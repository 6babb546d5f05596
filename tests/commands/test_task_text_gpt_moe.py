"""A gpt whose blocks' MLPs are mixtures of experts: `moe` in its config, `--moe N` on the
command line."""

import numpy as np

import groundup as gu
from groundup import nn

TEXT = "the cat sat on the mat, and the dog sat on the log.\n" * 60


def test_gpt_blocks_take_a_mixture_of_experts_and_learn():
    gu.manual_seed(0)
    model = gu.models.build("gpt", vocab_size=12, width=16, layers=2, heads=2, context=16,
                            moe=4)
    assert all(isinstance(b.mlp, nn.MixtureOfExperts) for b in model.modules()
               if type(b).__name__ == "Block")
    assert gu.models.build("gpt", vocab_size=12, width=16, layers=1, heads=2).config.moe == 0
    ids = gu.tensor(np.tile(np.arange(12), (4, 2))[:, :17])       # a rising pattern
    opt = gu.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        logits = model(ids[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 12), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]
    moe = next(m for m in model.modules() if isinstance(m, nn.MixtureOfExperts))
    assert moe.expert_counts.sum() == 4 * 16 * 2               # top-2 of every position
    assert (moe.expert_counts > 0).sum() >= 2
    out = model.generate(ids[:1, :4], 5)                       # cached generation runs
    assert out.shape[-1] in (5, 9)


def test_train_gpt_with_moe_from_the_command_line(tmp_path, gu_main):
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    out = gu_main("train", "gpt", "--data", tmp_path / "t.txt", "--epochs", "1", "--moe", "2",
                  "--width", "16", "--layers", "1", "--heads", "2", "--seq-len", "16",
                  "--batch-size", "8", "--no-progress", "--out", tmp_path / "run")
    assert "moe 2" in out.stdout
    meta = gu.io.load_checkpoint(tmp_path / "run" / "last.safetensors", restore_rng=False)
    assert meta["config"]["config"]["moe"] == 2
    bad = gu_main("train", "charrnn", "--data", tmp_path / "t.txt", "--moe", "2", "--out",
                  tmp_path / "c", check=False)
    assert bad.returncode == 2 and "--moe applies to transformer language models" in bad.stderr

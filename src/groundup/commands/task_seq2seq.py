"""The sequence-to-sequence task (seq2seq): a string of digits in, another one out.

The data is generated: random strings of --length digits (8 by default), and as target
the same string reversed (--problem reverse) or sorted (--problem sort). --samples
strings are the training set, a val_split of that many more the validation set and
TEST_SAMPLES more the test set, all drawn from the run's seed (so `groundup eval` and
--resume rebuild them). The decoder is trained with teacher forcing: its input is
[BOS, y1 .. yL] and its target [y1 .. yL, EOS]; the loss is the cross-entropy of every
target token. The report decodes the test strings greedily and with beam search
(BEAM_SIZE hypotheses, ranked by summed log-probability) and gives, for each, the exact
match (the whole output right) and the token accuracy (the L digits and the EOS, position
by position).
"""

import os
from dataclasses import dataclass

import numpy as np

import groundup as gu

from ..cli_common import CLIError
from ..models.seq2seq import special_tokens
from . import tasks

__all__ = ["TASK", "Seq2SeqTask", "SequenceData", "make_problem", "decode_figures"]

TEST_SAMPLES = 1000
BEAM_SIZE = 4
SYMBOLS = 10   # the digits 0-9; PAD, BOS and EOS follow (the model's last three ids)
PAD, BOS, EOS = special_tokens(SYMBOLS + 3)
PROBLEMS = {"reverse": lambda x: x[:, ::-1], "sort": lambda x: np.sort(x, axis=1)}


@dataclass
class SequenceData:
    """Source strings (N, L) and target strings (N, L) of each part, as digit ids."""

    problem: str
    length: int
    train: tuple
    val: tuple            # (None, None) without a validation part
    test: tuple

    def sizes(self):
        return [0 if part[0] is None else len(part[0]) for part in (self.train, self.val,
                                                                     self.test)]


def make_problem(problem, n, length, rng):
    """(sources, targets), each (n, length) int64 digit strings of `problem`."""
    src = rng.integers(0, SYMBOLS, size=(n, length), dtype=np.int64)
    return src, np.ascontiguousarray(PROBLEMS[problem](src))


def teacher_forcing(src, tgt, bos, eos):
    """(src, decoder input [BOS, y], decoder target [y, EOS]) for strings (N, L)."""
    n = len(tgt)
    dec_in = np.concatenate([np.full((n, 1), bos, np.int64), tgt], axis=1)
    dec_out = np.concatenate([tgt, np.full((n, 1), eos, np.int64)], axis=1)
    return src, dec_in, dec_out


class SequenceCrossEntropy(gu.nn.Module):
    """Cross-entropy of logits (N, T, V) against token ids (N, T), averaged over the tokens
    (PAD targets left out), with label smoothing."""

    def __init__(self, ignore_index=-100, label_smoothing=0.0):
        super().__init__()
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, logits, target):
        return gu.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                              target.reshape(-1),
                                              ignore_index=self.ignore_index,
                                              label_smoothing=self.label_smoothing)


def decode_figures(model, src, tgt, beam_size=1, batch_size=500):
    """{"exact": fraction of outputs right as a whole, "token": fraction of the L target
    digits and the EOS right position by position, "logp": mean sequence log-probability}
    of `model` decoding `src` (greedy with beam_size 1)."""
    n, L = tgt.shape
    want = np.concatenate([tgt, np.full((n, 1), model.eos, np.int64)], axis=1)   # (n, L+1)
    exact = token = logp = 0.0
    for i in range(0, n, batch_size):
        s = src[i:i + batch_size]
        if beam_size == 1:
            out, scores = model.greedy(s, max_new=L + 1)
        else:
            out, scores = model.beam_search(s, beam_size, max_new=L + 1)
        out = np.pad(out, ((0, 0), (0, L + 1 - out.shape[1])), constant_values=model.pad)
        right = out == want[i:i + batch_size]
        exact += float(right.all(axis=1).sum())
        token += float(right.sum())
        logp += float(scores.sum())
    return {"exact": exact / n, "token": token / (n * (L + 1)), "logp": logp / n}


class Seq2SeqTask(tasks.Task):
    name = "seq2seq"
    options = {
        "problem": tasks.Option(str, "reverse", "what a seq2seq model learns to do to a "
                                "string of digits", choices=tuple(PROBLEMS)),
        "length": tasks.Option(int, 8, "digits per string of a seq2seq model", low=1,
                               high=64),
        "samples": tasks.Option(int, 10000, "training strings of a seq2seq model", low=1),
    }

    # ---------------------------------------------------------------- data
    def load_data(self, s):
        if s["data"] != "generated":
            raise CLIError(f"--data {s['data']}: a {s['model']} model trains on generated "
                           f"digit strings (--data generated, with --problem and --length)")
        rng = np.random.default_rng(s["seed"])
        n, length = s["samples"], s["length"]
        n_val = int(round(n * s["val_split"]))
        train = make_problem(s["problem"], n, length, rng)
        val = make_problem(s["problem"], n_val, length, rng) if n_val else (None, None)
        test = make_problem(s["problem"], TEST_SAMPLES, length, rng)
        return SequenceData(s["problem"], length, train, val, test)

    def model_config(self, spec, data, s):
        # the source holds L digits, the decoder input BOS and L digits
        return {"vocab_size": SYMBOLS + 3, "max_len": data.length + 1}

    def data_lines(self, data, s):
        train, val, test = data.sizes()
        return [
            f"  data       {train:,} train / {val:,} val / {test:,} test strings of "
            f"{data.length} digits, generated (seed {s['seed']})",
            f"  problem    {data.problem}: the output is the input "
            f"{'reversed' if data.problem == 'reverse' else 'sorted'}, then EOS",
        ]

    def run_info(self, data):
        train, val, test = data.sizes()
        return {"problem": data.problem, "length": data.length,
                "samples": {"train": train, "val": val, "test": test}}

    def loaders(self, data, s):
        from ..data import DataLoader, TensorDataset

        def dataset(part):
            return TensorDataset(*teacher_forcing(*part, BOS, EOS))

        train = DataLoader(dataset(data.train), batch_size=s["batch_size"], shuffle=True,
                           seed=s["seed"])
        val = DataLoader(dataset(data.val), batch_size=500) if data.val[0] is not None \
            else None
        return train, val, DataLoader(dataset(data.test), batch_size=500)

    # ------------------------------------------------------------ training
    def loss(self, s):
        return SequenceCrossEntropy(ignore_index=PAD,
                                    label_smoothing=float(s.get("label_smoothing") or 0.0))

    def metrics(self, s):
        return ()

    # -------------------------------------------------------------- report
    def report(self, out, s, data, model, best_model, ckpt, test_loader):
        src, tgt = data.test
        which = (f"the best model (epoch {ckpt.best_epoch})" if best_model is not model
                 else "the last model")
        print(f"test decoding with {which}, {len(src):,} strings of {data.length} digits:")
        for k in (1, BEAM_SIZE):
            f = decode_figures(best_model, src, tgt, beam_size=k)
            how = "greedy       " if k == 1 else f"beam {k:<8}"
            print(f"  {how} exact match {f['exact']:.4f}, token accuracy {f['token']:.4f}, "
                  f"mean log-probability {f['logp']:.3f}")
        print(f"checkpoint: {ckpt.path}")
        shown = _digits(src[0])
        print(f"example: {shown} -> {_digits(best_model.translate(src[:1])[0])} "
              f"(more with: groundup sample {out} --prompt {shown})")
        tasks.print_plots(lambda: [
            tasks.plot_curves(out, ckpt.best_epoch),
            plot_seq2seq_attention(best_model, src[0], os.path.join(out, "attention.png"))])

    # ------------------------------------------------------ eval and sample
    def evaluate(self, args, loaded):
        path, kind, meta, model, run = loaded
        s, data = self.eval_data(args, run)
        src, tgt = data.test
        print(f"{data.problem} of {data.length} digits ({len(src):,} test strings, seed "
              f"{s['seed']}, {kind} model):")
        for k in (1, BEAM_SIZE):
            f = decode_figures(model, src, tgt, beam_size=k)
            how = "greedy       " if k == 1 else f"beam {k:<8}"
            print(f"  {how} exact match {f['exact']:.4f}, token accuracy {f['token']:.4f}")
        return 0

    def sample(self, args, loaded):
        path, kind, meta, model, run = loaded
        s = run["settings"]
        beam = getattr(args, "beam", None)
        beam = 1 if beam is None else beam
        if beam < 1:
            raise CLIError(f"--beam must be >= 1; got {beam}")
        if args.prompt is not None:
            prompt = args.prompt.strip()
            if not prompt or not prompt.isdigit() or not prompt.isascii():
                raise CLIError(f"--prompt must be a string of digits 0-9; got {args.prompt!r}")
            if len(prompt) > model.config.max_len:
                raise CLIError(f"--prompt has {len(prompt)} digits; this model reads at most "
                               f"{model.config.max_len} (it was trained on {s['length']})")
            sources = np.array([[int(c) for c in prompt]], np.int64)
        else:
            num = 5 if args.num is None else args.num
            if num < 1:
                raise CLIError(f"--num must be >= 1; got {num}")
            sources, _ = make_problem(s["problem"], num, s["length"],
                                      np.random.default_rng(args.seed))
        outputs = model.translate(sources, beam_size=beam)
        for source, output in zip(sources, outputs):
            print(f"{_digits(source)} -> {_digits(output)}")
        return 0


def plot_seq2seq_attention(model, source, path):
    """attention.png: the encoder's self-attention over the source digits, the decoder's
    self-attention and its attention over the source, for one string (the model's own
    greedy output fed back as the decoder input)."""
    from .. import viz

    src = np.asarray(source, np.int64)[None]
    out, _ = model.greedy(src)
    dec_in = np.concatenate([[model.bos], out[0][out[0] != model.pad]])[None]
    dec_in = dec_in[:, :model.config.max_len]
    names = ["BOS"] + [str(t) if t < SYMBOLS else "EOS" for t in dec_in[0, 1:]]
    digits = [str(t) for t in src[0]]
    labels = {}
    for i in range(model.config.encoder_layers):
        labels[f"transformer.encoder.layers.{i}.self_attn"] = (digits, digits)
    for i in range(model.config.decoder_layers):
        labels[f"transformer.decoder.layers.{i}.self_attn"] = (names, names)
        labels[f"transformer.decoder.layers.{i}.multihead_attn"] = (names, digits)
    return viz.plot_model_attention(model, (src, dec_in), path, labels=labels,
                                    title=f"attention for {''.join(digits)}")


def _digits(ids):
    return "".join(str(int(t)) for t in ids)


TASK = Seq2SeqTask()

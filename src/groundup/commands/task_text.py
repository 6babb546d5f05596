"""The language-model task (charrnn, gpt): text in, the next character predicted, text out.

The data is the bundled Shakespeare corpus ("shakespeare") or a UTF-8 text file
(`--data PATH.txt`). Its last 5% is the test text, the val_split before it the
validation text, the rest the training text; the character vocabulary is taken from
the whole of it and saved with the checkpoint, so `groundup sample` and --resume
rebuild it. Training reads (batch, seq_len) windows (TextWindows): row b of each
window continues row b of the window before, and the hidden state is carried across
(detached: truncated backpropagation through time), reset at each epoch's start.
The loss is the cross-entropy of every position, in nats per character; the report
gives it as bits per character too (loss / ln 2), measured with the state carried
through the whole test text. A transformer (gpt) has no state to carry: it reads each
window on its own, its context at least seq_len, and is tested on windows of its context.
With --tokens word the tokens are words instead (a WordVocab of the WORD_VOCAB most
frequent words and punctuation marks, the rest read as <unk>), the text is split into
words before it is cut into parts, and the figures are per word.
"""

import math
import os
import sys
from dataclasses import dataclass

import numpy as np

import groundup as gu

from ..cli_common import CLIError
from . import tasks

__all__ = ["TASK", "TextTask", "TextData", "SequenceCrossEntropy"]

TEST_FRACTION = 0.05
SAMPLE_LENGTH = 300
WORD_VOCAB = 5000  # --tokens word: the most frequent words kept; the rest read as <unk>


@dataclass
class TextData:
    """A corpus cut into its parts, as ids of `vocab`."""

    name: str
    vocab: object          # a CharVocab or (--tokens word) a WordVocab
    train: np.ndarray
    val: np.ndarray        # empty without a validation part
    test: np.ndarray

    @property
    def vocab_size(self):
        return len(self.vocab)

    @property
    def unit(self):
        """("char", "characters") or ("word", "words"): what a token is, for the reports."""
        return ("word", "words") if self.vocab.kind == "word" else ("char", "characters")


class SequenceCrossEntropy(gu.nn.Module):
    """Cross-entropy of logits (N, T, V) against targets (N, T), averaged over all positions."""

    def forward(self, logits, target):
        return gu.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                              target.reshape(-1))


def load_corpus(name):
    """(text, a description) of `--data name`: "shakespeare" or a UTF-8 text file."""
    from ..data import datasets

    if name == "shakespeare":
        return datasets.load_shakespeare(), "the bundled Shakespeare corpus (8 plays)"
    if not os.path.exists(name):
        raise CLIError(f"--data {name}: no such file (a language model takes 'shakespeare' or "
                       f"a UTF-8 text file)")
    if os.path.isdir(name):
        raise CLIError(f"--data {name}: is a directory; a language model takes a UTF-8 text "
                       f"file")
    try:
        text = datasets.load_text(name, what="--data")
    except (OSError, ValueError) as e:
        raise CLIError(tasks.file_message(e)) from None
    if not text:
        raise CLIError(f"--data {name}: the file is empty")
    return text, name


def split_text(text, val_split):
    """(train, val, test) parts of `text`: the last TEST_FRACTION is the test text, the
    val_split of the rest before it the validation text (never shuffled)."""
    from ..data.text import holdout_split

    rest, test = holdout_split(text, TEST_FRACTION)
    train, val = holdout_split(rest, val_split)
    return train, val, test


class TextTask(tasks.Task):
    name = "text"
    options = {
        "seq_len": tasks.Option(int, 64, "characters per training window (truncated "
                                         "backpropagation through time)", low=1),
        "cell": tasks.Option(str, "lstm", "recurrent layer of a language model",
                             choices=("lstm", "gru")),
        "width": tasks.Option(int, 256, "hidden state width of a language model", low=1),
        "layers": tasks.Option(int, 1, "recurrent layers of a language model", low=1),
        "embed": tasks.Option(int, 64, "character embedding width of a language model",
                              low=1),
        "heads": tasks.Option(int, None, "attention heads of a gpt (dividing its width)",
                              low=1),
        "context": tasks.Option(int, None, "the most tokens a gpt sees at once (default: "
                                           "seq_len; at least seq_len)", low=1),
        "moe": tasks.Option(int, None, "experts in each block of a gpt: its MLP becomes a "
                                       "mixture of that many, top-2 (default: one MLP)", low=1),
        "tokens": tasks.Option(str, "char", "what a language model reads and writes: "
                               f"characters or words (the {WORD_VOCAB} most frequent)",
                               choices=("char", "word")),
    }

    # ---------------------------------------------------------------- data
    def load_data(self, s):
        from ..data.text import CharVocab, WordVocab

        name = s["data"]
        text, about = load_corpus(name)
        if name != "shakespeare":
            s["data"] = os.path.abspath(os.path.expanduser(name))
        if s.get("tokens") == "word":  # split the words, then the stream of their ids
            vocab = WordVocab.from_text(text, max_size=WORD_VOCAB)
            train, val, test = split_text(vocab.encode(text), s["val_split"])
            unit = "words"
        else:
            vocab = CharVocab.from_text(text)
            train, val, test = (vocab.encode(part) for part in split_text(text,
                                                                           s["val_split"]))
            unit = "characters"
        need = s["batch_size"] + 1
        if len(train) < need or len(test) < 2:
            raise CLIError(f"--data {name}: {len(train) + len(val) + len(test)} {unit} are too "
                           f"few: the training part needs at least batch_size + 1 = {need} and "
                           f"the test part (the last {TEST_FRACTION:.0%}) at least 2")
        return TextData(about, vocab, train, val, test)

    def model_config(self, spec, data, s):
        config = {"vocab_size": data.vocab_size}
        if _attends(spec):
            return _transformer_config(spec, config, s)
        for option in ("heads", "context", "moe"):
            if s.get(option) is not None:
                raise CLIError(f"--{option} applies to transformer language models (gpt); "
                               f"{spec.name} is recurrent")
        for option, field in (("cell", "cell"), ("width", "hidden"), ("layers", "layers"),
                              ("embed", "embed")):
            if s.get(option) is not None:
                config[field] = s[option]
        return config

    def data_lines(self, data, s):
        from .. import models

        return [
            f"  data       {data.train.size:,} train / {data.val.size:,} val / "
            f"{data.test.size:,} test {data.unit[1]}, {data.vocab_size} distinct",
            f"  source     {data.name}",
            f"  windows    {s['batch_size']} " + (
                f"shuffled windows of {s['seq_len']} {data.unit[1]}, each read on its own"
                if _attends(models.get(s["model"])) else
                f"rows of {s['seq_len']} {data.unit[1]}, the hidden state carried from "
                f"window to window"),
        ]

    def run_info(self, data):
        return {"vocab": data.vocab.to_dict(),
                "characters": {"train": int(data.train.size), "val": int(data.val.size),
                               "test": int(data.test.size)}}

    def loaders(self, data, s):
        from .. import models
        from ..data import DataLoader
        from ..data.text import TextWindows

        def windows(ids):
            rows = max(1, min(s["batch_size"], (ids.size - 1) // s["seq_len"]))
            return DataLoader(TextWindows(ids, rows, s["seq_len"]), batch_size=None)

        if _attends(models.get(s["model"])):  # no state to carry: shuffled windows
            train = DataLoader(_windows(data.train, s["seq_len"]), batch_size=s["batch_size"],
                               shuffle=True, seed=s["seed"])
        else:
            train = DataLoader(TextWindows(data.train, s["batch_size"], s["seq_len"]),
                               batch_size=None)
        val = windows(data.val) if data.val.size >= 2 else None
        return train, val, windows(data.test)

    # ------------------------------------------------------------ training
    def loss(self, s):
        return SequenceCrossEntropy()

    def step(self, s, model):
        """Truncated BPTT: the state carried (detached) from window to window, clipped.
        A transformer (gpt) reads each window on its own: no state to carry."""
        from ..nn.utils import clip_grad_norm_

        params = [p for p in model.parameters() if p.requires_grad]
        clip = s["grad_clip"]

        def attend_step(state, inputs, target):
            loss = state.loss_fn(model(inputs[0]), target)
            state.optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                state.grad_norm = float(clip_grad_norm_(params, clip))
            state.optimizer.step()
            return {"loss": loss}

        if _attends(model):
            return attend_step

        def step(state, inputs, target):
            logits, hidden = model(inputs[0], state.carry, return_hidden=True)
            loss = state.loss_fn(logits, target)
            state.optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                state.grad_norm = float(clip_grad_norm_(params, clip))
            state.optimizer.step()
            state.carry = _detach(hidden)
            return {"loss": loss}

        return step

    def metrics(self, s):
        return ()

    # -------------------------------------------------------------- report
    def report(self, out, s, data, model, best_model, ckpt, test_loader):
        last = text_loss(model, data.test)
        unit, units = data.unit
        if best_model is not model:
            chosen = text_loss(best_model, data.test)
            logs = ckpt.best_logs or {}
            val = f" (val_loss {logs['val_loss']:.4f})" if "val_loss" in logs else ""
            print(f"best model: epoch {ckpt.best_epoch}{val}: {ckpt.best_path}")
            print(f"test loss {chosen:.4f} nats/{unit} ({chosen / math.log(2):.3f} "
                  f"bits/{unit}) with the best model, {last:.4f} ({last / math.log(2):.3f} "
                  f"bits/{unit}) with the last ({data.test.size:,} test {units})")
        else:
            print(f"test loss {last:.4f} nats/{unit} ({last / math.log(2):.3f} bits/{unit}) "
                  f"with the last model ({data.test.size:,} test {units})")
        print(f"checkpoint: {ckpt.path}")
        prompt = _default_prompt(data.vocab)
        ids = best_model.generate(data.vocab.encode(prompt), SAMPLE_LENGTH,
                                  generator=gu.Generator().manual_seed(s["seed"]))
        text = prompt + data.vocab.decode(ids)
        path = os.path.join(out, "sample.txt")
        _write(path, text)
        print(f"sample ({SAMPLE_LENGTH} {units}, temperature 1; more with: groundup "
              f"sample {out}):\n{text}\n-> {path}")
        tasks.print_plots(lambda: [tasks.plot_curves(out, ckpt.best_epoch)])

    # ------------------------------------------------------ eval and sample
    def evaluate(self, args, loaded):
        path, kind, meta, model, run = loaded
        s, data = self.eval_data(args, run)
        if data.vocab.to_dict() != run.get("vocab"):
            raise CLIError(f"--data {s['data']}: its {data.unit[1]} differ from the "
                           f"vocabulary of the model in {path}")
        loss = text_loss(model, data.test)
        unit, units = data.unit
        print(f"{s['data']} (test text, {data.test.size:,} {units}): loss {loss:.4f} "
              f"nats/{unit}, {loss / math.log(2):.3f} bits/{unit}, perplexity "
              f"{math.exp(loss):.2f} ({kind} model)")
        return 0

    def sample(self, args, loaded):
        from ..data.text import vocab_from_dict

        path, kind, meta, model, run = loaded
        try:
            vocab = vocab_from_dict(run.get("vocab"))
        except ValueError:
            raise CLIError(f"{path}: the checkpoint holds no vocabulary") from None
        length = 500 if args.length is None else args.length
        num = 1 if args.num is None else args.num
        temperature = 1.0 if args.temperature is None else args.temperature
        if length < 0:
            raise CLIError(f"--length must be >= 0; got {length}")
        if num < 1:
            raise CLIError(f"--num must be >= 1; got {num}")
        if not (math.isfinite(temperature) and temperature > 0):
            raise CLIError(f"--temperature must be a number > 0; got {temperature}")
        if args.top_k is not None and args.top_k < 1:
            raise CLIError(f"--top-k must be >= 1; got {args.top_k}")
        top_p = getattr(args, "top_p", None)
        if top_p is not None and not 0 < top_p <= 1:
            raise CLIError(f"--top-p must be a number in (0, 1]; got {top_p}")
        prompt = _default_prompt(vocab) if args.prompt is None else args.prompt
        prompt_ids = _prompt_ids(vocab, prompt)
        generator = gu.Generator().manual_seed(args.seed)
        texts = [prompt + _continuation(vocab, prompt_ids,
                                        model.generate(prompt_ids, length,
                                                       temperature=temperature,
                                                       top_k=args.top_k, top_p=top_p,
                                                       generator=generator))
                 for _ in range(num)]
        text = "\n\n".join(texts) if num == 1 else "\n\n".join(
            f"--- sample {i + 1}\n{t}" for i, t in enumerate(texts))
        print(text)
        target = args.out or os.path.join(os.path.dirname(path), "sample.txt")
        try:
            _write(target, text)
        except OSError as e:
            raise CLIError(f"--out {target}: {e.strerror or e}") from None
        print(f"-> {target}")
        return 0


def text_loss(model, ids, seq_len=256, rows=16):
    """The mean cross-entropy (nats per character) of `model` predicting ids[1:] from
    the characters before, with the state carried through each of `rows` long rows."""
    from ..data.text import TextWindows

    attends = _attends(model)
    if attends:  # a transformer reads windows of its context, each on its own
        seq_len = min(seq_len, model.config.context)
    rows = max(1, min(rows, (ids.size - 1) // seq_len))
    total, count, hidden = 0.0, 0, None
    was_training = model.training
    model.eval()
    try:
        with gu.no_grad():
            for x, y in TextWindows(ids, rows, seq_len):
                if attends:
                    logits = model(x)
                else:
                    logits, hidden = model(x, hidden, return_hidden=True)
                loss = gu.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum")
                total += float(loss.item())
                count += y.numel()
    finally:
        model.train(was_training)
    return total / count


def _attends(model_or_spec):
    """Whether a text model (or its ModelSpec) is a transformer (a config with a context),
    not a recurrent model carrying a state."""
    import dataclasses

    config = getattr(model_or_spec, "config_class", None) or type(model_or_spec.config)
    return "context" in {f.name for f in dataclasses.fields(config)}


def _windows(ids, seq_len):
    """The stream cut into its (N, seq_len) windows x and the (N, seq_len) next tokens y, as
    a dataset: a transformer trains on them in shuffled batches. Consecutive windows of
    one stream make correlated batches, which train a model without a state slower."""
    from ..data import TensorDataset

    T = min(seq_len, ids.size - 1)
    n = (ids.size - 1) // T
    x = ids[:n * T].reshape(n, T)                                      # (N, seq_len)
    y = ids[1:n * T + 1].reshape(n, T)
    return TensorDataset(gu.tensor(x), gu.tensor(y))


def _transformer_config(spec, config, s):
    """The config fields of a transformer language model from the run's settings."""
    for option in ("cell", "embed"):
        if s.get(option) is not None:
            raise CLIError(f"--{option} applies to recurrent language models (charrnn); "
                           f"{spec.name} is a transformer")
    for option in ("width", "layers", "heads", "moe"):
        if s.get(option) is not None:
            config[option] = s[option]
    config["context"] = s.get("context") or s["seq_len"]
    if config["context"] < s["seq_len"]:
        raise CLIError(f"--context {config['context']} is shorter than --seq-len "
                       f"{s['seq_len']}: {spec.name} must see a whole training window")
    width = config.get("width", spec.config_class.width)
    heads = config.get("heads", spec.config_class.heads)
    if width % heads:
        raise CLIError(f"--width {width} must be divisible by --heads {heads}")
    return config


def _detach(hidden):
    if isinstance(hidden, tuple):
        return tuple(h.detach() for h in hidden)
    return hidden.detach()


def _default_prompt(vocab):
    return "\n" if "\n" in vocab else ""


def _prompt_ids(vocab, prompt):
    """The ids of a typed prompt: its characters, or with a word vocabulary its words (a
    word the vocabulary lacks is read as its unknown token, and said so on stderr)."""
    if vocab.kind == "word":
        unknown = sorted({w for w in vocab.tokenize(prompt) if w not in vocab})
        if unknown:
            print(f"--prompt: the words {', '.join(map(repr, unknown))} are not in the model's "
                  f"vocabulary of {len(vocab)} words; read as {vocab.unk}", file=sys.stderr)
        return vocab.encode(prompt)
    unknown = sorted({c for c in prompt if c not in vocab})
    if unknown:
        raise CLIError(f"--prompt: the characters {', '.join(map(repr, unknown))} are not "
                       f"in the model's vocabulary of {len(vocab)} characters")
    return vocab.encode(prompt)


def _continuation(vocab, prompt_ids, ids):
    """The text of the generated `ids` as it follows the prompt: what decoding prompt and
    continuation together adds to the prompt alone (a word vocabulary's spacing depends on
    the token before)."""
    head = vocab.decode(prompt_ids)
    return vocab.decode(np.concatenate([prompt_ids, ids]))[len(head):]


def _write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text if text.endswith("\n") else text + "\n")


TASK = TextTask()

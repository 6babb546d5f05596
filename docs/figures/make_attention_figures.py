"""Draw the picture of docs/05-attention.md into docs/images/.

    python docs/figures/make_attention_figures.py

- attention-map.png: the attention weights of the four heads of the tutorial's GPT's
  first block over one line. The tutorial's code blocks are run as they are (in a
  temporary folder, on the NumPy reference path, as tests/test_docs.py runs them), and
  the picture they draw is the one copied here, so the figure is exactly what a reader
  running the tutorial gets.

Needs matplotlib.
"""

from tutorial import draw


def main():
    draw("05-attention.md", {"attention.png": "attention-map.png"})


if __name__ == "__main__":
    main()

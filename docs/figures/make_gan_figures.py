"""Draw the pictures of docs/07-gans.md into docs/images/.

    python docs/figures/make_gan_figures.py

The tutorial's code blocks are run as they are (in a temporary folder, on the NumPy
reference path, as tests/test_docs.py runs them) and the pictures they draw are copied
here, so each figure is what a reader running the tutorial gets:

- gan-samples.png: 64 digits from the DCGAN after 15 epochs;
- gan-collapsed.png: the same noise after the generator trained alone against a frozen
  discriminator (mode collapse).

Each block's printed output is shown as well (the tutorial's text blocks). Needs
matplotlib.
"""

from tutorial import draw

DRAWN = {"gan-samples.png": "gan-samples.png", "gan-collapsed.png": "gan-collapsed.png"}


def main():
    draw("07-gans.md", DRAWN, show_output=True)


if __name__ == "__main__":
    main()

"""Draw the pictures of docs/08-rbf-and-experts.md into docs/images/.

    python docs/figures/make_rbf_expert_figures.py

The tutorial's code blocks are run as they are (in a temporary folder, on the NumPy
reference path, as tests/test_docs.py runs them), and the pictures they draw are copied
here, so each figure is exactly what a reader running the tutorial gets:

- rbf-sine-fit.png: the noisy sine's held-out points, the closed-form fit, the centres;
- rbf-moons.png: the two moons, the decision regions, the 16 centres and their widths;
- moe-experts.png: the spirals' plane coloured by the expert with the largest gate;
- moe-usage.png: the rows each expert took.

Needs matplotlib.
"""

from tutorial import draw

DRAWN = ("rbf-sine-fit.png", "rbf-moons.png", "moe-experts.png", "moe-usage.png")


def main():
    draw("08-rbf-and-experts.md", {name: name for name in DRAWN})


if __name__ == "__main__":
    main()

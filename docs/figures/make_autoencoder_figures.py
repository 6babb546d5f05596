"""Draw the pictures of docs/06-autoencoders.md into docs/images/.

    python docs/figures/make_autoencoder_figures.py

The tutorial's code blocks are run as they are (in a temporary folder, on the NumPy
reference path, as tests/test_docs.py runs them), and the pictures they draw are the
ones copied here, so each figure is exactly what a reader running the tutorial gets:

- ae-vae-terms.png: the VAE's reconstruction term, negative ELBO (train and test)
  and KL term per epoch;
- ae-vae-samples.png: 64 digits decoded from codes drawn from the prior;
- ae-interpolation.png: decoded points on the line from a 0 to a 5, for the dense,
  convolutional and variational autoencoders;
- ae-cvae-samples.png: the conditional VAE's samples, one column per digit.

Needs matplotlib.
"""

from tutorial import draw

DRAWN = {"vae-terms.png": "ae-vae-terms.png", "vae-samples.png": "ae-vae-samples.png",
         "interpolation.png": "ae-interpolation.png", "cvae-samples.png": "ae-cvae-samples.png"}


def main():
    draw("06-autoencoders.md", DRAWN)


if __name__ == "__main__":
    main()

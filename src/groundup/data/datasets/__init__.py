"""Generated, bundled and user-file datasets."""

"""Names shared by the `groundup` command's parser (cli.py) and its commands (commands.py).

Both import this module and it imports nothing from the package, so the command
line stays one-way: cli parses the arguments, commands does the work.
"""

__all__ = ["CHECKPOINT", "CLIError"]

CHECKPOINT = "model.safetensors"  # the checkpoint file in a run directory


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""

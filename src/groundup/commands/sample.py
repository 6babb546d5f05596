"""`groundup sample DIR`: what a trained generative model makes (text, images).

The run's task (commands/tasks.py) does the work: a language model writes text from
--prompt, an image model a grid of new images. Classifiers generate nothing and say so.
"""

from . import tasks
from .runs import load_run

__all__ = ["cmd_sample"]


def cmd_sample(args):
    loaded = load_run(args.dir, args.checkpoint)
    task = tasks.for_model(loaded[2]["config"]["model"])
    return task.sample(args, loaded) or 0

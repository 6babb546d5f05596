"""The work behind each `groundup` sub-command (cli.py parses the arguments).

    train.py     groundup train (new runs, --resume)
    settings.py  the settings of a run: recipe < --config FILE < command line
    runs.py      run folders (runs/NAME-001, runs/latest, --out, --overwrite), groundup runs
    tasks.py     what differs between kinds of model (classifier, language model, GAN, ...)
    use.py       groundup eval, groundup predict
    sample.py    groundup sample
    misc.py      groundup list, groundup demo

Every mistake of the user is raised as a CLIError (one line, exit status 2).
"""

from .misc import cmd_demo, cmd_list, train_xor
from .runs import cmd_runs
from .sample import cmd_sample
from .train import cmd_train
from .use import cmd_eval, cmd_predict

__all__ = ["cmd_train", "cmd_eval", "cmd_predict", "cmd_list", "cmd_demo", "cmd_runs",
           "cmd_sample", "train_xor"]

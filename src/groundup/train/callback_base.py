"""The Callback base class and TrainState: what `fit` calls and what callbacks see.

A callback overrides any of these hooks; each receives the `TrainState`:

    on_train_begin   before the first epoch
    on_epoch_begin   state.epoch is set (counted from 1)
    on_batch_begin   state.batch is set (counted from 1 within the epoch)
    on_backward_end  after loss.backward() (and clipping), before optimizer.step():
                     the place to inspect gradients; setting state.stop_training
                     here skips the step
    on_batch_end     after optimizer.step(); state.batch_logs = {"loss", "size"}
    on_epoch_end     state.logs holds the epoch's logs (loss, metrics, val_*, lr)
    on_train_end     always, also when training stops early, is interrupted or raises;
                     state.outcome says which ("finished", "stopped", "interrupted",
                     "failed")

Set ``state.stop_training = True`` (and ``state.stop_reason``) to stop after the
current batch or epoch. Set ``state.interrupted`` (a reason such as "SIGINT") to
leave at once after the current batch: fit raises TrainingInterrupted, and the
epoch is neither finished nor logged (ResumableCheckpoint saves where it stopped).

This module imports nothing from the package: every callback module builds on it.
"""

__all__ = ["HOOKS", "TrainState", "Callback"]

HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_begin", "on_backward_end",
         "on_batch_end", "on_epoch_end", "on_train_end")


class TrainState:
    """What callbacks see: the objects being trained and where the loop is.

    model, optimizer, scheduler, loss_fn, train_loader, val_loader; epoch (from 1),
    epochs (the last epoch number), batch (from 1), num_batches (None if unknown),
    global_step (optimizer steps so far in this fit), batch_logs, batch_output and
    batch_target (of the last batch), epoch_outputs and epoch_targets (NumPy copies
    of the epoch's batches so far, kept when there are metrics), grad_norm (when fit
    clips), logs (the epoch's),
    history, metric_fns [(name, fn)], epoch_samples and train_seconds (of the epoch's
    training part), stop_training, stop_reason.

    in_epoch is True while the batches of an epoch run (between them, a checkpoint
    is a mid-epoch one); epoch_loss_sum, epoch_seen and epoch_sums hold the epoch's
    running sums (the loss and each other logged step value, weighted by the batch
    size); carry is None at the start of each epoch and free for a custom step to
    keep what it carries from one batch to the next (an RNN's hidden state);
    callbacks is the list fit runs; interrupted is None or the reason training was
    interrupted; outcome is None until training ends.
    """

    def __init__(self, **kwargs):
        self.model = self.optimizer = self.scheduler = self.loss_fn = None
        self.train_loader = self.val_loader = None
        self.epoch = 0
        self.epochs = 0
        self.start_epoch = 0
        self.batch = 0
        self.num_batches = None
        self.global_step = 0
        self.batch_logs = {}
        self.batch_output = self.batch_target = None
        self.epoch_outputs, self.epoch_targets = [], []
        self.grad_norm = None
        self.logs = {}
        self.history = None
        self.metric_fns = []
        self.epoch_samples = 0
        self.train_seconds = 0.0
        self.stop_training = False
        self.stop_reason = None
        self.in_epoch = False
        self.epoch_loss_sum = 0.0
        self.epoch_seen = 0
        self.epoch_sums = {}
        self.timed_samples = 0
        self.carry = None
        self.callbacks = []
        self.interrupted = None
        self.outcome = None
        for key, value in kwargs.items():
            setattr(self, key, value)


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, state):
        pass

    def on_epoch_begin(self, state):
        pass

    def on_batch_begin(self, state):
        pass

    def on_backward_end(self, state):
        pass

    def on_batch_end(self, state):
        pass

    def on_epoch_end(self, state):
        pass

    def on_train_end(self, state):
        pass

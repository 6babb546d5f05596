"""DataLoader's arguments: PyTorch's rules for which options go together, with clear errors."""

import numbers

from .dataset import IterableDataset


def check_options(dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, num_workers,
                   timeout, prefetch_factor, persistent_workers, multiprocessing_context):
    """PyTorch's rules for which DataLoader options go together; a ValueError names the clash."""
    where = "DataLoader"
    if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) \
            or num_workers < 0:
        raise ValueError(f"{where}: num_workers option should be a non-negative int (0 loads in "
                         f"the main process); got {num_workers!r}")
    if not isinstance(timeout, numbers.Real) or timeout < 0:
        raise ValueError(f"{where}: timeout option should be non-negative; got {timeout!r}")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(f"{where}: prefetch_factor option could only be specified in "
                         f"multiprocessing: let num_workers > 0 to enable multiprocessing, "
                         f"otherwise set prefetch_factor to None")
    if prefetch_factor is not None and (isinstance(prefetch_factor, bool) or not isinstance(
            prefetch_factor, numbers.Integral) or prefetch_factor < 1):
        raise ValueError(f"{where}: prefetch_factor should be a positive int; got "
                         f"{prefetch_factor!r}")
    if persistent_workers and num_workers == 0:
        raise ValueError(f"{where}: persistent_workers option needs num_workers > 0")
    context = multiprocessing_context
    method = context.get_start_method() if hasattr(context, "get_start_method") else context
    if method not in (None, "fork"):
        raise ValueError(f"{where}: multiprocessing_context must be None or 'fork' (workers are "
                         f"forked so that nothing is pickled); got {context!r}")
    if isinstance(dataset, IterableDataset):
        for name, value in (("shuffle", shuffle), ("sampler", sampler),
                            ("batch_sampler", batch_sampler)):
            if value not in (None, False):
                raise ValueError(f"{where} with IterableDataset: expected unspecified {name} "
                                 f"option, but got {name}={value!r}")
    if sampler is not None and shuffle:
        raise ValueError(f"{where}: sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError(f"{where}: batch_sampler option is mutually exclusive with "
                             f"batch_size, shuffle, sampler, and drop_last")
    elif batch_size is None:
        if drop_last:
            raise ValueError(f"{where}: batch_size=None option disables auto-batching and is "
                             f"mutually exclusive with drop_last")
    elif isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
            or batch_size < 1:
        raise ValueError(f"{where}: batch_size must be a positive int or None; got "
                         f"{batch_size!r}")

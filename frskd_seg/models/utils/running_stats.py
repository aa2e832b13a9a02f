"""Forwards that leave the normalisation layers' running statistics alone."""
from contextlib import contextmanager
from typing import Iterator

import torch.nn as nn

#: the buffers a normalisation layer updates in training mode (torch's and
#: mmcv's BatchNorm, SyncBatchNorm, InstanceNorm with running statistics)
RUNNING_BUFFERS = ('running_mean', 'running_var', 'num_batches_tracked')


@contextmanager
def running_stats_kept(module: nn.Module) -> Iterator[None]:
    """Forwards of ``module`` inside run as they would (a BN layer in
    training mode still normalises with its batch's statistics), but every
    layer's running statistics are as they were before, once the block
    ends: they stay estimates over the batches outside it.

    Semi-supervised training does this for its unlabeled forwards (USB's
    ``Bn_Controller``): the running statistics, which the evaluated model
    normalises with, are the labeled batches' alone, as in the same
    training without those forwards.
    """
    # the layers update copies, dropped at the end (restoring the values in
    # place instead would break the backward: the graph holds the buffers)
    swapped = [(m, name, buffer)
               for m in module.modules() if m.training
               for name, buffer in m.named_buffers(recurse=False)
               if name in RUNNING_BUFFERS]
    for m, name, buffer in swapped:
        setattr(m, name, buffer.clone())
    try:
        yield
    finally:
        for m, name, buffer in swapped:
            setattr(m, name, buffer)

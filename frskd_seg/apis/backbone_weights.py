"""A backbone's weights cut out of a segmentor checkpoint.

The paper's students start from ImageNet-pretrained backbones. For the CPU
demo, ``tools/pretrain_demo_backbone.py`` plays ImageNet's part: it trains the
demo model on a separate synthetic data set and keeps only its backbone, in a
small checkpoint that a config loads the usual mmengine way::

    model = dict(backbone=dict(init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/demo_r18_backbone_i1000.pth')))
"""
import os
import os.path as osp

import torch

from frskd_seg.utils.checkpoint import load_local_checkpoint
from frskd_seg.utils.errors import ConfigError


def save_backbone_weights(checkpoint: str, out: str,
                          prefix: str = 'backbone.') -> int:
    """Write the weights under ``prefix`` in ``checkpoint`` to ``out``,
    without the prefix, as ``{'state_dict': ..., 'meta': ...}`` of tensors
    only (loadable with ``torch.load(weights_only=True)``).

    Args:
        checkpoint (str): An mmengine checkpoint of a segmentor.
        out (str): Path of the backbone checkpoint to write.
        prefix (str): State-dict prefix of the backbone.

    Returns:
        int: Number of tensors written.
    """
    state = load_local_checkpoint(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    weights = {
        key[len(prefix):]: value.detach().clone()
        for key, value in state.items() if key.startswith(prefix)
    }
    if not weights:
        raise ConfigError(f'{checkpoint} holds no weights under {prefix!r}; '
                          f'its keys start with: '
                          f'{sorted({k.split(".")[0] for k in state})}')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    # the source by its file name alone: the same weights written from
    # another folder are the same bytes (studies key their runs by them)
    torch.save(dict(state_dict=weights,
                    meta=dict(source=osp.basename(checkpoint),
                              prefix=prefix)), out)
    return len(weights)

"""Loading mmengine checkpoints under torch >= 2.6.

torch 2.6 made ``torch.load(weights_only=True)`` the default. mmengine 0.10.7
calls ``torch.load`` without the argument, and the checkpoints its Runner
writes hold Python objects besides tensors (``HistoryBuffer``, numpy scalars,
...), so ``--resume``, ``tools/test.py CONFIG CKPT``, ``load_from`` and
``mmseg.apis.init_model`` all fail with ``UnpicklingError: Unsupported
global``. :func:`register_checkpoint_loader` (called on ``import frskd_seg``)
replaces mmengine's loader for local paths -- the one every one of those
goes through -- with :func:`load_local_checkpoint`: it first tries the safe
``weights_only=True`` load and falls back to full unpickling only for the
file being loaded, saying so in the log. Only checkpoints the user names
reach it (a config's ``load_from``/``resume`` or a tool's argument); torch's
global default is left alone, so no other ``torch.load`` in the process
unpickles anything. Full unpickling can run code from the file: load only
checkpoints you trust.
"""
import logging
import os.path as osp
import pickle

import torch
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader

from frskd_seg.utils.errors import ConfigError, MissingFileError


def load_local_checkpoint(filename: str, map_location=None):
    """mmengine's local-file checkpoint loader, working under torch >= 2.6.

    Args:
        filename (str): Path of a checkpoint the user asked to load.
        map_location: As :func:`torch.load`.

    Returns:
        dict: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise MissingFileError(f'{filename} can not be found.')
    try:
        try:
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
        except pickle.UnpicklingError:
            print_log(
                f'{filename} holds Python objects besides tensors (an '
                'mmengine training checkpoint): unpickling it in full '
                'because it was named to be loaded. Load only checkpoints '
                'you trust.',
                logger='current',
                level=logging.INFO)
            return torch.load(filename, map_location=map_location,
                              weights_only=False)
    except Exception as error:  # torch's errors do not name the file
        raise ConfigError(
            f'{filename} is not a readable PyTorch checkpoint (truncated, '
            f'corrupted or another format): {type(error).__name__}: '
            f'{error}') from error


def register_checkpoint_loader() -> None:
    """Make :func:`load_local_checkpoint` mmengine's loader for local paths."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)

"""Refuse to resume an FRSKD run from a checkpoint that is not one."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from frskd_seg.utils.errors import ConfigError
from mmseg.registry import HOOKS


@HOOKS.register_module()
class ResumeCheckHook(Hook):
    """On ``--resume`` of an FRSKD model, raise if the checkpoint holds no
    ``self_teacher.*`` weights (e.g. a plain mmseg checkpoint).

    mmengine resumes with ``strict=False``, so such a checkpoint would
    silently restart the self-teacher from random weights in the middle of
    the schedule. Starting a new FRSKD run from plain mmseg weights stays
    possible: use ``load_from`` without ``--resume``.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not (runner._resume and hasattr(model, 'self_teacher')):
            return
        state = checkpoint.get('state_dict', checkpoint)
        if not any(k.startswith('self_teacher.') for k in state):
            raise ConfigError(
                'cannot resume an FRSKD run from a checkpoint without '
                'self_teacher.* weights (not written by an FRSKD run); to '
                'start FRSKD from plain mmseg weights, set load_from to it '
                'and train without --resume')

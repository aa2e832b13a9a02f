"""Argument checks shared by the distillation losses."""
from numbers import Real

from frskd_seg.utils.errors import ConfigError


def check_loss_weight(loss_weight, loss_name: str = 'loss') -> float:
    """``loss_weight`` as a float; a ValueError naming the loss unless it
    is a number >= 0."""
    if not isinstance(loss_weight, Real) or loss_weight < 0:
        raise ConfigError(f'{loss_name}: loss_weight must be a number >= 0, '
                          f'got {loss_weight!r}')
    return float(loss_weight)


def check_positive(value, name: str, loss_name: str) -> float:
    """``value`` as a float; a ValueError naming the loss and the argument
    unless it is a number > 0."""
    if not isinstance(value, Real) or value <= 0:
        raise ConfigError(f'{loss_name}: {name} must be a number > 0, got '
                          f'{value!r}')
    return float(value)


def check_feature_pairs(loss_name: str, student_feats, teacher_feats,
                        num_levels: int) -> None:
    """Same number of levels (``num_levels``) and spatial sizes."""
    if not len(student_feats) == len(teacher_feats) == num_levels:
        raise ValueError(
            f'{loss_name}: got {len(student_feats)} student and '
            f'{len(teacher_feats)} teacher feature maps, expected '
            f'{num_levels} of each')
    for level, (fs, ft) in enumerate(zip(student_feats, teacher_feats)):
        if fs.shape[0] != ft.shape[0] or fs.shape[2:] != ft.shape[2:]:
            raise ValueError(
                f'{loss_name}: level {level} student shape {tuple(fs.shape)} '
                f'and teacher shape {tuple(ft.shape)} differ in batch or '
                'spatial size')


def check_channel_pairs(student_channels, teacher_channels) -> None:
    """One teacher width per student level, for losses with adapters."""
    if len(student_channels) != len(teacher_channels):
        raise ConfigError(
            f'student_channels {list(student_channels)} and '
            f'teacher_channels {list(teacher_channels)} differ in length')

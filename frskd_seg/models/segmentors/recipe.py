"""What an FRSKD segmentor trains, in words: logged when it is built, and
what the gain study keys its runs on beside the config."""
from .student_probe import reads_description
from .teacher_side import distill_terms


def _module(module) -> str:
    """``Type(settings)`` of a built module (its ``extra_repr``)."""
    extra = module.extra_repr() if hasattr(module, 'extra_repr') else ''
    return f'{type(module).__name__}({extra})'


def describe_recipe(model) -> str:
    """The resolved recipe of an FRSKD segmentor ``model``: what the
    self-teacher reads and its widths, its head, how much of its CE reaches
    the student, each distillation term with its weight, and the schedule
    (resolved in iterations or epochs at the first training step)."""
    neck, head = model.self_teacher, model.teacher_head
    terms = [_module(loss) for slot in (model.loss_kd, model.loss_feat)
             for loss in distill_terms(slot)]
    grad = model.teacher_grad_scale
    return '\n'.join([
        f'FRSKD recipe ({type(model).__name__}):',
        f'  self-teacher {_module(neck)} reads '
        f'{reads_description(model)}: channels '
        f'{list(neck.in_channels)} -> widths {list(neck.out_channels)}',
        f'  its head {type(head).__name__} on refined level(s) '
        f'{head.in_index} ({head.in_channels} channels); its CE reaches the '
        f'student x {grad}' + (' (detached)' if grad == 0 else ''),
        '  L = student losses + self-teacher CE + w(t) * ('
        + (' + '.join(terms) or 'no distillation term') + ')',
        f'  w(t): {model.distill_schedule!r}',
    ])

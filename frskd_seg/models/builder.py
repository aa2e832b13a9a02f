"""Building a registered module from a config, its keys checked first."""
import difflib
import inspect

from frskd_seg.utils.errors import ConfigTypeError, unknown_type_message
from mmseg.registry import MODELS


def build_checked(cfg: dict, where: str):
    """``MODELS.build(cfg)`` after checking that ``cfg``'s type takes each
    of its keys: a key it does not take is a :class:`ConfigTypeError`
    naming ``where`` (e.g. ``'model.loss_kd'``) and the closest key it
    takes, before anything is built."""
    cls = MODELS.get(cfg['type']) if isinstance(cfg.get('type'), str) \
        else cfg.get('type')
    if cls is None:
        raise ConfigTypeError(unknown_type_message(cfg['type'], MODELS,
                                                   where))
    params = inspect.signature(cls.__init__).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        takes = sorted(set(params) - {'self'})
        for key in cfg:
            if key != 'type' and key not in params:
                close = difflib.get_close_matches(key, takes, n=1,
                                                  cutoff=0.6)
                hint = (f'did you mean {close[0]!r}?' if close else
                        f'it takes {", ".join(takes)}')
                raise ConfigTypeError(
                    f'{where}: {cls.__name__} got an unknown key {key!r}: '
                    + hint)
    return MODELS.build(cfg)

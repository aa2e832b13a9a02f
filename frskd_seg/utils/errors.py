"""The errors a config can cause: deliberate messages that name the bad
value and what to write instead. The tools print them on one line; any other
exception (a bug) keeps its traceback."""
import difflib


class ConfigError(ValueError):
    """A config value FRSKD refuses (a number out of range, a structure it
    cannot train), raised while the config is read or the model built."""


class ConfigTypeError(ConfigError, TypeError):
    """A config entry of the wrong kind: an unknown key (with the key that
    was probably meant), a value of the wrong type."""


class MissingFileError(ConfigError, FileNotFoundError):
    """A file or folder the user named (a config, a checkpoint, a data
    root, weights to load) does not exist. Only these are the user's: any
    other FileNotFoundError is raised by a bug and keeps its traceback."""


def unknown_type_message(name: str, registry, where: str = '') -> str:
    """What to say of a ``type`` the ``registry`` (an mmengine
    ``Registry``) does not hold: where it was given and the registered
    name closest to it."""
    known = list(registry.module_dict)
    parent = getattr(registry, 'parent', None)
    if parent is not None:
        known += list(parent.module_dict)
    close = difflib.get_close_matches(str(name), sorted(set(known)), n=1,
                                      cutoff=0.6)
    hint = f': did you mean {close[0]!r}?' if close else ''
    prefix = f'{where}: ' if where else ''
    return (f"{prefix}type {name!r} is not registered in mmseg's "
            f'{registry.name} registry{hint}')

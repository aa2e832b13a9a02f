"""The errors a config can cause: deliberate messages that name the bad
value and what to write instead. The tools print them on one line; any other
exception (a bug) keeps its traceback."""


class ConfigError(ValueError):
    """A config value FRSKD refuses (a number out of range, a structure it
    cannot train), raised while the config is read or the model built."""


class ConfigTypeError(ConfigError, TypeError):
    """A config entry of the wrong kind: an unknown key (with the key that
    was probably meant), a value of the wrong type."""

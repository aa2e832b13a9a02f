"""Finding the hooks a hook works with."""
from typing import Optional, Type, TypeVar

from mmengine.hooks import Hook

H = TypeVar('H', bound=Hook)


def find_hook(runner, hook_type: Type[H]) -> Optional[H]:
    """The runner's first hook of ``hook_type``, or None."""
    return next((h for h in runner.hooks if isinstance(h, hook_type)), None)

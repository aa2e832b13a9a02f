"""The weights a config loads from elsewhere, and a clear error when they
cannot be downloaded (a machine without internet)."""
import contextlib
import os.path as osp
import urllib.error
from typing import List, Tuple

from mmengine.config import Config


class WeightsDownloadError(RuntimeError):
    """Weights named by the config could not be downloaded."""


def remote_weights(cfg: Config) -> List[Tuple[str, str]]:
    """``(config key, source)`` of every weight file the config loads that
    is not a local file: ``model...pretrained``, ``init_cfg.checkpoint`` of
    a ``Pretrained`` init and ``load_from``."""
    found = []

    def visit(node, key):
        if isinstance(node, dict):
            for name, value in node.items():
                here = f'{key}.{name}' if key else name
                if name == 'pretrained' and isinstance(value, str):
                    found.append((here, value))
                elif name == 'init_cfg' and isinstance(value, dict) and \
                        value.get('type') == 'Pretrained':
                    found.append((f'{here}.checkpoint', value['checkpoint']))
                else:
                    visit(value, here)
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                visit(value, f'{key}.{i}')

    visit(cfg.get('model', {}), 'model')
    if isinstance(cfg.get('load_from'), str):
        found.append(('load_from', cfg.load_from))
    return [(key, src) for key, src in found if not osp.isfile(src)]


@contextlib.contextmanager
def explain_download_errors(cfg: Config):
    """Within: a failed download (``URLError``) becomes a
    :class:`WeightsDownloadError` naming the config's remote weights, where
    to put them and how to train without them."""
    try:
        yield
    except urllib.error.URLError as error:
        weights = remote_weights(cfg)
        listed = '; '.join(f'{src!r} ({key})' for key, src in weights) or \
            'none found in model or load_from'
        nones = ' '.join(f'{key.rsplit(".checkpoint", 1)[0]}=None'
                         for key, _ in weights if key != 'load_from')
        raise WeightsDownloadError(
            f'could not download weights ({error.reason}). The weights this '
            f'config loads from elsewhere: {listed}. Without internet, put '
            'the files in torch hub\'s cache (~/.cache/torch/hub/'
            'checkpoints/, under the name the download line above shows), '
            'or train from scratch: --cfg-options ' + (
                nones or 'load_from=None')) from error

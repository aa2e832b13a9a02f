"""What the tools print: a short summary on the terminal, everything in the
work dir's log, and a config dump that shows the values used."""
import logging
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from frskd_seg.datasets.dataset_configs import DATALOADERS


def align_helper_variables(cfg: Config,
                           data_root: Optional[str] = None) -> None:
    """Make the config's unused top-level helper variables show what is
    used, so its dump does not look as if ``--data-root`` or the model's
    settings had been ignored: with ``data_root``, the ``data_root``
    variable and every top-level data-set dict (``voc07_trainval``...) get
    it; a top-level ``data_preprocessor`` (mmseg's bases define one) becomes
    the model's."""
    if data_root is not None:
        if 'data_root' in cfg:
            cfg.data_root = data_root
        for key, value in cfg.items():
            if isinstance(value, dict) and 'type' in value and \
                    'data_root' in value and key not in DATALOADERS:
                value['data_root'] = data_root
    model_pre = cfg.get('model', {}).get('data_preprocessor')
    if 'data_preprocessor' in cfg and model_pre is not None:
        cfg.data_preprocessor = model_pre


class _ConsoleSummary(logging.Filter):
    """On the terminal, the config dump becomes one line and the hook table
    goes; the work dir's log file (another handler, which gets the records
    unchanged) keeps them whole."""

    def __init__(self, handler: logging.StreamHandler, config_path: str):
        super().__init__()
        self.handler = handler
        self.config_path = config_path

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith('Config:\n'):
            lines = message.count('\n')
            summary = logging.makeLogRecord(dict(
                record.__dict__, args=(),
                msg=f'Config: {lines} lines, as used, in '
                f'{self.config_path} (and in the log file)'))
            self.handler.stream.write(self.handler.format(summary) + '\n')
            return False
        return not message.startswith(
            'Hooks will be executed in the following order')


class SummaryRunner(Runner):
    """mmengine's Runner, whose terminal output leaves out the full config
    dump and the hook table (both stay in ``<work_dir>/<timestamp>/*.log``;
    the config is also written to ``<work_dir>/<config name>``)."""

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        name = osp.basename(self.cfg.filename) if self.cfg.filename else \
            f'{self.timestamp}.py'
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                handler.addFilter(
                    _ConsoleSummary(handler, osp.join(self.work_dir, name)))
        return logger

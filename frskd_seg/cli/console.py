"""What the tools print: a short summary on the terminal, everything in the
work dir's log, and a config dump that shows the values used."""
import contextlib
import logging
import os
import os.path as osp
import re
import sys
import warnings
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner, find_latest_checkpoint
from torch.utils.data import DataLoader

from frskd_seg.datasets.checks import DatasetCheckError
from frskd_seg.datasets.dataset_configs import DATALOADERS
from frskd_seg.models.segmentors import UnsupportedStudentError
from frskd_seg.utils.errors import ConfigError, unknown_type_message
from .worker_signals import StopSignalsToMain


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


#: third-party warnings the tools' user cannot act on, each with why: the
#: tools silence them (warnings.warn) or keep them out of the terminal (log
#: records; the work dir's log file keeps those)
KNOWN_NOISE_WARNINGS = (
    # mmengine looks up installed packages through setuptools' old API
    r'pkg_resources is deprecated as an API',
    # mmseg builds its decode heads' losses with its own deprecated helper
    r'``build_loss`` would be deprecated',
    # mmseg's CrossEntropyLoss default, which mmseg's configs keep
    r'Default ``avg_non_ignore`` is False',
    # SegVisualizationHook(draw=False): mmseg's default runtime
    r'The draw is False',
)
KNOWN_NOISE_LOGS = (
    # mmengine's own file I/O inside mmseg's LoadImageFromFile
    '"FileClient" will be deprecated',
    '"HardDiskBackend" is the alias',
    # a metric without a prefix logs plain keys (mIoU): what mmseg does
    'The prefix is not set in metric class',
)


@contextlib.contextmanager
def known_noise_silenced():
    """Within: the :data:`KNOWN_NOISE_WARNINGS` are not shown; every other
    warning is, as before."""
    with warnings.catch_warnings():
        for message in KNOWN_NOISE_WARNINGS:
            warnings.filterwarnings('ignore', message=message)
        yield


#: what a config, its data or its weights can be wrong with, raised on
#: purpose with a message that says what to do (a file the user named that
#: does not exist is a ``MissingFileError``, a ``ConfigError``): one line on
#: the terminal (with a registry's KeyError for a misspelt ``type``,
#: :func:`is_user_error`)
USER_ERRORS = (ConfigError, UnsupportedStudentError, DatasetCheckError)
#: mmengine's KeyError for a ``type`` no registry holds
_UNKNOWN_TYPE = re.compile(r"^'?(\S+) is not in the \w+::([\w ]+) registry")
#: set (to anything) to get the traceback of a user error
TRACEBACK_SWITCH = 'FRSKD_TRACEBACK'


def is_user_error(error: BaseException, errors=USER_ERRORS) -> bool:
    """Whether ``error`` is a config mistake to state in one line: one of
    ``errors``, or mmengine's KeyError for a ``type`` no registry holds.
    Anything else raised in the library's code is a bug: its traceback
    shows."""
    return isinstance(error, errors) or (
        type(error) is KeyError and bool(_UNKNOWN_TYPE.match(str(error))))


def user_error_message(error: BaseException) -> str:
    """The one line a user error (:func:`is_user_error`) is stated in: its
    message, and for a misspelt ``type`` the registered name closest to
    it, as for the FRSKD segmentor's own modules."""
    match = _UNKNOWN_TYPE.match(str(error))
    if type(error) is KeyError and match:
        import mmseg.registry as registries
        from mmengine.registry import Registry
        for registry in vars(registries).values():
            if isinstance(registry, Registry) and \
                    registry.name == match.group(2):
                return ('ConfigTypeError: ' + unknown_type_message(
                    match.group(1), registry))
    return f'{type(error).__name__}: {error}'


@contextlib.contextmanager
def user_errors_briefly(errors=USER_ERRORS):
    """Within: a user error (:func:`is_user_error`) ends the tool with its
    message on one line (exit code 2, as argparse's errors) instead of a
    traceback through mmengine's builders; ``FRSKD_TRACEBACK=1`` shows the
    traceback. Other exceptions pass unchanged."""
    try:
        yield
    except Exception as error:
        if not is_user_error(error, errors) or os.environ.get(
                TRACEBACK_SWITCH):
            raise
        print(f'error: {user_error_message(error)}\n(the traceback: run '
              f'again with {TRACEBACK_SWITCH}=1)', file=sys.stderr)
        raise SystemExit(2)


#: each command's script in a checkout's tools/
TOOL_SCRIPTS = dict(train='train.py', test='test.py',
                    export='export_student.py')


def tool_command(name: str) -> str:
    """How to run one of frskd-seg's commands here: ``python tools/<script>``
    in a checkout (tools/ beside the working directory), else the installed
    package's module (``python -m frskd_seg.cli.<name>``; the console
    scripts ``frskd-<name>`` are the same)."""
    script = osp.join('tools', TOOL_SCRIPTS[name])
    if osp.isfile(script):
        return f'python {script}'
    return f'python -m frskd_seg.cli.{name}'


def environment_header(message: str) -> str:
    """mmengine's ~35-line environment record as one line: Python, PyTorch,
    MMEngine, the devices it trains on, the seed and the launcher (on a
    machine without a GPU, "CPU" -- not the record's ``GPU number: 1``)."""
    fields = {}
    for line in message.splitlines():
        key, sep, value = line.strip().partition(': ')
        if sep:
            fields.setdefault(key, value)
    gpus = [f'{k}: {v}' for k, v in fields.items()
            if k.startswith('GPU ') and k != 'GPU number']
    if fields.get('CUDA available') == 'True':
        devices = f"CUDA ({', '.join(gpus) or 'a GPU'})"
    else:
        devices = 'CPU'
    launcher = fields.get('Distributed launcher', 'none')
    if fields.get('Distributed training') == 'True':
        # mmengine's "GPU number" is the world size, GPUs or not
        launcher += f", distributed over {fields.get('GPU number')} processes"
    return (f"Environment: Python {fields.get('Python', '?').split()[0]}, "
            f"PyTorch {fields.get('PyTorch', '?')}, MMEngine "
            f"{fields.get('MMEngine', '?')}, {devices}, seed "
            f"{fields.get('seed', '?')}, launcher {launcher} (the whole "
            'record: in the log file)')


class _ConsoleSummary(logging.Filter):
    """On the terminal, the environment record and the config dump become
    one line each and the hook table goes; the work dir's log file (another
    handler, which gets the records unchanged) keeps them whole."""

    def __init__(self, handler: logging.StreamHandler, config_path: str):
        super().__init__()
        self.handler = handler
        self.config_path = config_path

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if 'System environment:' in message:
            summary = logging.makeLogRecord(dict(
                record.__dict__, args=(), msg=environment_header(message)))
            self.handler.stream.write(self.handler.format(summary) + '\n')
            return False
        if message.startswith('Config:\n'):
            lines = message.count('\n')
            summary = logging.makeLogRecord(dict(
                record.__dict__, args=(),
                msg=f'Config: {lines} lines, as used, in '
                f'{self.config_path} (and in the log file)'))
            self.handler.stream.write(self.handler.format(summary) + '\n')
            return False
        return not (message.startswith(
            'Hooks will be executed in the following order') or any(
                noise in message for noise in KNOWN_NOISE_LOGS))


class SummaryRunner(Runner):
    """mmengine's Runner, whose terminal output leaves out the full config
    dump, the hook table (both stay in ``<work_dir>/<timestamp>/*.log``;
    the config is also written to ``<work_dir>/<config name>``) and the
    :data:`KNOWN_NOISE_LOGS`, and that ends a training with a summary: the
    last validation's scores, the checkpoints, the commands that come
    next. Its data-loader workers leave SIGTERM and SIGINT to the main
    process (:class:`StopSignalsToMain`), so a signal to the whole process
    group stops training as one to the main process does
    (:class:`GracefulStopHook`)."""

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        loader = Runner.build_dataloader(dataloader, seed, diff_rank_seed)
        if isinstance(loader, DataLoader) and loader.num_workers > 0:
            loader.worker_init_fn = StopSignalsToMain(loader.worker_init_fn)
        return loader

    def train(self):
        model = super().train()
        self.logger.info(self.training_summary())
        return model

    def training_summary(self) -> str:
        """What the run ended with, and what to run next."""
        scores = {key[len('val/'):]: buf.current()
                  for key, buf in self.message_hub.log_scalars.items()
                  if key.startswith('val/') and 'IoU' in key}
        teacher = any(key.startswith('teacher/') for key in scores)
        lines = [f'Training done: {self.iter} iterations in {self.work_dir}']
        if scores:
            lines.append('  last validation: ' + ', '.join(
                f'{key} {value:.2f}' for key, value in scores.items()) +
                (' (teacher/: the self-teacher, which the export drops)'
                 if teacher else ''))
        best = self.message_hub.get_info('best_ckpt')
        if best:
            lines.append(f'  best checkpoint: {best}')
        last = find_latest_checkpoint(self.work_dir)
        if last:
            lines.append(f'  last checkpoint: {last}')
            lines.append(f"  test:   {tool_command('test')} "
                         f'{self.dumped_config} {last}')
            if teacher:
                lines.append(f"  export: {tool_command('export')} "
                             f'{self.dumped_config} {last} OUT_DIR')
        return '\n'.join(lines)

    @property
    def dumped_config(self) -> str:
        """Where ``Runner.dump_config`` writes the config, as used."""
        return osp.join(self.work_dir, osp.basename(
            self.cfg.filename or f'{self.timestamp}.py'))

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                handler.addFilter(_ConsoleSummary(handler,
                                                  self.dumped_config))
        return logger

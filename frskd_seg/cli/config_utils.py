"""Config edits shared by the command-line tools."""
import argparse
import logging
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from frskd_seg.datasets.dataset_configs import leaf_datasets
from frskd_seg.datasets.retarget import not_voc_datasets
from frskd_seg.evaluation.metrics import TEACHER_PRED_KEY, scores_teacher
from frskd_seg.utils.errors import ConfigError, MissingFileError


def set_data_root(cfg: Config, data_root: str) -> int:
    """Point every data set of the train/val/test dataloaders at
    ``data_root``, through wrappers (``ConcatDataset.datasets``,
    ``RepeatDataset.dataset``). Returns how many data sets were changed."""
    changed = 0
    for dataset in leaf_datasets(cfg):
        if 'data_root' in dataset or 'type' in dataset:
            dataset['data_root'] = data_root
            changed += 1
    return changed


def load_config(config: str, cfg_options: Optional[dict] = None,
                launcher: str = 'none', work_dir: Optional[str] = None,
                data_root: Optional[str] = None) -> Config:
    """Read ``config`` and apply the options every tool shares, the way
    mmseg's tools do (``--cfg-options`` last but for ``--work-dir``)."""
    if not osp.isfile(config):
        raise MissingFileError(f'config file {config!r} does not exist')
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if data_root is not None:
        if not osp.isdir(data_root):
            raise MissingFileError(
                f'--data-root {data_root!r} is not a directory')
        not_voc = not_voc_datasets(cfg)
        if not_voc:
            raise ConfigError(
                f'--data-root {data_root!r} points every data set at one '
                'VOCdevkit, but this config has data sets that are not '
                'VOCdevkit splits: ' + '; '.join(not_voc) + '. Set their '
                'data_root with --cfg-options, or retarget the config to '
                'VOC2007+2012 with tools/retarget_voc0712.py')
        set_data_root(cfg, data_root)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    # work_dir priority: CLI > config file > ./work_dirs/<config name>
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def check_distill_schedule(cfg: Config) -> None:
    """Refuse, at config load, an FRSKD model whose distillation schedule
    cannot run with the config's training loop
    (:meth:`DistillSchedule.check_loop`)."""
    from frskd_seg.models.segmentors import is_frskd_model
    from frskd_seg.models.losses import model_distill_schedule
    model = cfg.get('model', {})
    if is_frskd_model(model):
        model_distill_schedule(model).check_loop(cfg.get('train_cfg'))


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options tools/train.py and tools/test.py share (mmseg's, plus
    ``--data-root``)."""
    parser.add_argument(
        '--data-root',
        help='use this data root for every data set of the config (e.g. '
        'the VOCdevkit folder holding VOC2007/ and VOC2012/)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--skip-data-check',
        action='store_true',
        help='do not check the data sets (files of the split lists exist, '
        'masks are palette/greyscale PNGs of valid class indices) at start')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_tool_args(parser: argparse.ArgumentParser,
                    argv=None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def init_distributed_on_cpu(cfg: Config) -> None:
    """Make a ``--launcher pytorch`` run work on a machine without CUDA.

    mmengine 0.10.7 assumes GPUs there: its ``init_dist`` calls
    ``torch.cuda.set_device`` whatever the backend (failing on CPU-only torch
    builds) and it wraps the model in DDP with ``device_ids=[local_rank]``
    (rejected for CPU modules). The Runner skips its own initialisation when
    a process group exists, so the group is started here with the config's
    ``env_cfg.dist_cfg.backend``, and the DDP wrapper gets ``device_ids=None``.
    GPU runs are left to mmengine.
    """
    import torch
    import torch.distributed as dist
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available() \
            or dist.is_initialized():
        return
    backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend')
    if backend != 'gloo':
        raise ConfigError(
            f'env_cfg.dist_cfg.backend={backend!r} needs GPUs, and this '
            'machine has none: add --cfg-options '
            'env_cfg.dist_cfg.backend=gloo')
    dist.init_process_group(backend='gloo')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))


def check_teacher_metric(cfg: Config, evaluator: str) -> None:
    """The config's ``evaluator`` and the model's ``evaluate_teacher`` must
    agree: scoring a prediction the model does not make fails at config load
    (not at the first batch); making one nobody scores is warned about. The
    config says what runs, so the tool changes neither."""
    from frskd_seg.models.segmentors import is_frskd_model
    model = cfg.get('model', {})
    if cfg.get(evaluator) is None:
        return
    predicts = is_frskd_model(model) and model.get('evaluate_teacher')
    scored = scores_teacher(cfg[evaluator])
    if scored and not predicts:
        raise ConfigError(
            f"{evaluator} scores the self-teacher's prediction "
            '(pred_teacher_sem_seg), which this model does not make: set '
            'model.evaluate_teacher=True (an FRSKD model), or remove that '
            f'metric from {evaluator}')
    if predicts and not scored:
        print_log(
            "model.evaluate_teacher=True computes the self-teacher's "
            f'prediction, but {evaluator} does not score it: add '
            "dict(type='FRSKDIoUMetric', iou_metrics=['mIoU'], pred_key="
            "'pred_teacher_sem_seg', prefix='teacher') to it (or set "
            'evaluate_teacher=False)', logger='current',
            level=logging.WARNING)


def add_teacher_metric(cfg: Config, evaluator: str) -> bool:
    """Score the self-teacher too: when ``cfg`` is an FRSKD model built with
    ``evaluate_teacher=True``, ``cfg[evaluator]`` gets a copy of its IoU
    metric reading the self-teacher's prediction, logged as ``teacher/*``
    (unless it already scores it). Returns whether the evaluator scores the
    self-teacher."""
    from frskd_seg.models.segmentors import is_frskd_model
    model = cfg.get('model', {})
    if not is_frskd_model(model) or not model.get(
            'evaluate_teacher', False) or cfg.get(evaluator) is None:
        return False
    metrics = cfg[evaluator]
    metrics = list(metrics) if isinstance(metrics, (list, tuple)) else [
        metrics
    ]
    if scores_teacher(metrics):
        return True
    student = next((m for m in metrics
                    if m.get('type') in ('IoUMetric', 'FRSKDIoUMetric')),
                   None)
    if student is None:
        return False
    teacher = dict(student, type='FRSKDIoUMetric', pred_key=TEACHER_PRED_KEY,
                   prefix='teacher')
    for key in ('output_dir', 'keep_results', 'format_only'):
        teacher.pop(key, None)
    cfg[evaluator] = metrics + [teacher]
    return True


def check_checkpoint(path: str, what: str) -> None:
    """A :class:`MissingFileError`, naming ``what`` (e.g. ``'--resume X'``)
    and the checkpoints beside it, where a local checkpoint does not exist
    (URLs are left to mmengine)."""
    if '://' in path or osp.isfile(path):
        return
    folder = osp.dirname(path) or '.'
    if not osp.isdir(folder):
        beside = f'{folder} does not exist'
    else:
        found = sorted(n for n in os.listdir(folder) if n.endswith('.pth'))
        beside = (f'{folder} holds {", ".join(found)}' if found else
                  f'{folder} holds no checkpoint')
    raise MissingFileError(f'{what} ({beside})')

"""``tools/train.py`` (or ``python -m frskd_seg.cli.train``): mmseg's
training command line, with FRSKD registered."""
import argparse
import logging
from typing import Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import find_latest_checkpoint

import frskd_seg  # noqa: F401  (registers FRSKD's modules)
from frskd_seg.datasets.checks import check_config_datasets
from frskd_seg.utils.errors import ConfigError
from mmseg.registry import RUNNERS
from .config_utils import (add_common_arguments, check_checkpoint,
                           check_distill_schedule, check_teacher_metric,
                           init_distributed_on_cpu, load_config,
                           parse_tool_args)
from .console import (SummaryRunner, align_helper_variables,
                      known_noise_silenced, user_errors_briefly)
from .quick_run import add_quick_run_arguments, apply_quick_run_arguments
from .weights import WeightsDownloadError, explain_download_errors


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train a segmentor (FRSKD or any mmseg model)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without one, from the latest '
        'checkpoint in the work dir (none there: a fresh start, said in the '
        'log)')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    add_quick_run_arguments(parser)
    add_common_arguments(parser)
    return parse_tool_args(parser, argv)


def build_train_config(args: argparse.Namespace) -> Config:
    """The config ``tools/train.py`` runs for these arguments."""
    cfg = load_config(args.config, args.cfg_options, args.launcher,
                      args.work_dir, args.data_root)
    apply_quick_run_arguments(cfg, args)
    check_distill_schedule(cfg)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.type
        if optim_wrapper == 'AmpOptimWrapper':
            print_log(
                'AMP training is already enabled in your config.',
                logger='current',
                level=logging.WARNING)
        elif optim_wrapper != 'OptimWrapper':
            raise ConfigError(
                '--amp needs optim_wrapper.type OptimWrapper (it becomes '
                f'AmpOptimWrapper), but the config has {optim_wrapper!r}')
        else:
            if not torch.cuda.is_available():
                raise ConfigError(
                    "--amp needs a GPU: mmengine's AmpOptimWrapper runs on "
                    'CUDA (or NPU/MLU/MUSA) devices, and this machine has '
                    'none; train without --amp')
            # bf16 keeps float32's range (no overflow) where the GPU
            # computes it natively, fp16 elsewhere: decided by each rank for
            # its own device when the wrapper is built
            cfg.optim_wrapper.type = 'DeviceAmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
            cfg.optim_wrapper.setdefault('dtype', 'auto')
    set_resume(cfg, args.resume)
    align_helper_variables(cfg, args.data_root)
    check_teacher_metric(cfg, 'val_evaluator')
    return cfg


def set_resume(cfg: Config, resume: Optional[str]) -> None:
    """``--resume`` (``'auto'``: the work dir's latest checkpoint) into
    ``cfg``. A checkpoint that does not exist is an error; a work dir
    without one starts afresh, saying so in one line (a job script that
    always passes ``--resume`` starts the first time)."""
    if resume is None:
        return
    if resume != 'auto':
        check_checkpoint(resume, f'--resume {resume}: no such checkpoint')
        cfg.resume, cfg.load_from = True, resume
        return
    latest = find_latest_checkpoint(cfg.work_dir)
    if latest is None:
        print_log(f'--resume: no checkpoint in {cfg.work_dir} yet: training '
                  'starts from iteration 0', logger='current',
                  level=logging.WARNING)
        cfg.resume = False
    else:
        cfg.resume, cfg.load_from = True, latest


def main(argv: Optional[Sequence[str]] = None) -> None:
    with known_noise_silenced():
        args = parse_args(argv)
        with user_errors_briefly():
            cfg = build_train_config(args)
            if not args.skip_data_check:
                check_config_datasets(
                    cfg, splits=('train_dataloader', 'val_dataloader'))
            init_distributed_on_cpu(cfg)
            runner = (SummaryRunner.from_cfg(cfg)
                      if 'runner_type' not in cfg else RUNNERS.build(cfg))
        with user_errors_briefly(WeightsDownloadError), \
                explain_download_errors(cfg):
            runner.train()


if __name__ == '__main__':
    main()

"""``tools/test.py``: mmseg's test/evaluation command line, with FRSKD
registered and the checkpoint-loading fix for torch >= 2.6 applied."""
import argparse
import logging
from typing import Optional, Sequence

from mmengine.config import Config
from mmengine.logging import print_log

import frskd_seg  # noqa: F401  (registers FRSKD's modules)
from frskd_seg.datasets.checks import check_config_datasets
from frskd_seg.utils.errors import ConfigError
from .config_utils import (add_common_arguments, add_teacher_metric,
                           check_checkpoint, check_teacher_metric,
                           init_distributed_on_cpu,
                           load_config, parse_tool_args, scores_teacher)
from .console import (SummaryRunner, align_helper_variables,
                      known_noise_silenced, user_errors_briefly)
from .quick_run import add_quick_run_arguments, apply_quick_run_arguments


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='if specified, the evaluation metric results will be dumped '
        'into the directory as json')
    parser.add_argument(
        '--out',
        type=str,
        help='the directory to save output prediction for offline evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='save prediction overlays (mmseg visualizer) under '
        'SHOW_DIR/vis_data/vis_image/')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--show-interval',
        type=int,
        default=1,
        help='with --show/--show-dir, draw every N-th test image (mmseg '
        'draws every 50th; default here: every image)')
    parser.add_argument(
        '--tta', action='store_true', help='Test time augmentation')
    parser.add_argument(
        '--teacher',
        action='store_true',
        help='FRSKD models: also evaluate the self-teacher (teacher/mIoU '
        'beside the student\'s mIoU); the shipped FRSKD configs already '
        'do, this adds it to configs that do not')
    add_quick_run_arguments(parser)
    add_common_arguments(parser)
    return parse_tool_args(parser, argv)


def build_test_config(args: argparse.Namespace) -> Config:
    """The config ``tools/test.py`` runs for these arguments."""
    cfg = load_config(args.config, args.cfg_options, args.launcher,
                      args.work_dir, args.data_root)
    check_checkpoint(args.checkpoint,
                     f'checkpoint {args.checkpoint} does not exist')
    cfg.load_from = args.checkpoint
    apply_quick_run_arguments(cfg, args)
    align_helper_variables(cfg, args.data_root)
    if args.teacher:
        from frskd_seg.models.segmentors import STUDENT_TYPES, is_frskd_model
        if not is_frskd_model(cfg.model):
            raise ConfigError('--teacher needs an FRSKD config (model.type '
                              f'one of {sorted(STUDENT_TYPES)}), got '
                              f"{cfg.model.get('type')!r}")
        if cfg.model.get('evaluate_teacher') and scores_teacher(
                cfg.test_evaluator):
            print_log('--teacher: the config already evaluates and scores '
                      'the self-teacher (teacher/mIoU); nothing to add',
                      logger='current', level=logging.INFO)
        cfg.model.evaluate_teacher = True
        add_teacher_metric(cfg, 'test_evaluator')
    if args.show or args.show_dir:
        hooks = cfg.get('default_hooks', {})
        if 'visualization' not in hooks:
            raise RuntimeError(
                '--show/--show-dir need a VisualizationHook in default_hooks:'
                " visualization=dict(type='SegVisualizationHook')")
        hooks['visualization']['draw'] = True
        hooks['visualization']['interval'] = args.show_interval
        if args.show:
            hooks['visualization']['show'] = True
            hooks['visualization']['wait_time'] = args.wait_time
        if args.show_dir:
            cfg.visualizer['save_dir'] = args.show_dir
    if args.tta:
        # TTA merges the student's predictions only: the self-teacher is
        # neither predicted nor scored
        cfg.model.pop('evaluate_teacher', None)
        metrics = cfg.test_evaluator
        metrics = metrics if isinstance(metrics, (list, tuple)) else [metrics]
        cfg.test_evaluator = [m for m in metrics if not scores_teacher(m)]
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        metrics = cfg.test_evaluator
        for metric in (metrics if isinstance(metrics, (list, tuple)) else
                       [metrics]):
            if metric.get('pred_key', 'pred_sem_seg') == 'pred_sem_seg':
                metric['output_dir'] = args.out
                metric['keep_results'] = True
    if not args.tta:
        check_teacher_metric(cfg, 'test_evaluator')
    return cfg


def main(argv: Optional[Sequence[str]] = None) -> dict:
    with known_noise_silenced():
        args = parse_args(argv)
        with user_errors_briefly():
            cfg = build_test_config(args)
            if not args.skip_data_check:
                check_config_datasets(cfg, splits=('test_dataloader', ))
            init_distributed_on_cpu(cfg)
            runner = SummaryRunner.from_cfg(cfg)
        return runner.test()


if __name__ == '__main__':
    main()

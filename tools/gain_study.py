"""Paired FRSKD-vs-twin gain study over seeds (train, evaluate, report).

    python tools/gain_study.py CONFIG --seeds 0 1 2 3 4 [--baseline CONFIG]
        [--data-root DIR] [--cfg-options k=v ...] [--holdout voc12-val|none]
        [--work-dir DIR] [--runs-dir DIR] [--gpus N] [--threads T] [--jobs J]
        [--warm-start-from RUNS/<key>] [--no-diagnostics] [--no-warmup-eval]
        [--twin-cfg-options k=v ...]

For each seed: trains the FRSKD config and its baseline twin with that seed
(same initial student, same batches), evaluates the FRSKD student, its
self-teacher and the twin on the validation split (VOC2012 val, held out of
training) and the test split (VOC2007 test), and writes WORK_DIR/report.md,
report.png and study.json: per-seed mIoU, the mean paired gain with its 95 %
confidence interval, per-class gains and the self-teacher's lead over its
student at the end of the warm-up and at the end. Resumable: finished seeds
are not rerun, and the twin's runs are shared by every study of the same
student (cached under --runs-dir by the hash of the exact config).
--cfg-options change the FRSKD config before its twin is derived from it:
options of the student, data or schedule reach both arms.
On a CPU, J trainings run at once on T threads each (default: T = 1 and as
many as the cores hold; two 1-thread runs on 2 cores train ~1.4x faster in
all than one 2-thread run). T is part of the runs' cache key: on a CPU the
thread count changes the floating-point sums, so 1- and 2-thread runs are
different samples. --warm-start-from RUNS/<key> (the runs of another FRSKD
config, e.g. the study of the config without --cfg-options): a variant of
the distillation terms alone (loss_kd, a parameter-free loss_feat) equals
that config's runs until distillation starts, so its FRSKD runs resume from
their warm-up-end checkpoints -- the same result, in a third of the time;
anything else that differs is refused with the differences named.
--no-diagnostics skips the diagnostics of the FRSKD runs (mIoU on the
training images, the self-teacher at the student's logit resolution, who is
right where; about 3 minutes per FRSKD run of the CPU demo, more than its
evaluation): the gains and the self-teacher's lead are reported all the
same, and a later study without the flag computes the missing diagnostics
from the cached runs. --no-warmup-eval evaluates each run at its end alone
(the demo: its table leaves out the self-teacher's lead at the warm-up end).
"""
import argparse
import os.path as osp
import shlex
import sys

from mmengine.config import DictAction

from frskd_seg.apis.export_student import baseline_twin_config
from frskd_seg.cli.config_utils import add_common_arguments, load_config
from frskd_seg.cli.console import known_noise_silenced
from mmseg.utils import register_all_modules

# the study instrument lives beside the library, in the checkout
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from studies.gain_study import default_jobs, run_study  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='an FRSKD config')
    parser.add_argument('--baseline', help='the baseline twin config '
                        '(default: CONFIG with EncoderDecoder)')
    parser.add_argument('--seeds', type=int, nargs='+',
                        default=[0, 1, 2, 3, 4],
                        help='paired seeds: each trains FRSKD and its twin '
                        '(default 0 1 2 3 4)')
    parser.add_argument('--holdout', choices=['voc12-val', 'none'],
                        default='voc12-val',
                        help='validation split: VOC2012 val taken out of '
                        'training (default), or none (test split only)')
    parser.add_argument('--work-dir', help='where the report goes (default '
                        'work_dirs/gain_study/<config name>)')
    parser.add_argument('--runs-dir', default='work_dirs/gain_study/runs',
                        help='cache of the training runs, shared by studies')
    parser.add_argument('--gpus', type=int, default=1,
                        help='train each run on this many GPUs (torchrun, '
                        '--launcher pytorch); evaluation uses one device')
    parser.add_argument('--threads', type=int, default=1,
                        help='CPU threads per training (OMP_NUM_THREADS; '
                        'part of the cache key; default 1)')
    parser.add_argument('--jobs', type=int,
                        help='trainings at once (default: CPU cores // '
                        'threads without a GPU, 1 with one)')
    parser.add_argument('--warm-start-from', metavar='RUNS_DIR',
                        help='start the FRSKD runs from the warm-up-end '
                        'checkpoints of these runs (RUNS/<key>, seed_<k> '
                        'inside) when they differ only in the distillation '
                        'terms')
    parser.add_argument('--no-diagnostics', action='store_true',
                        help="skip the FRSKD runs' diagnostics (the report "
                        'keeps the gains and the self-teacher lead)')
    parser.add_argument('--no-warmup-eval', action='store_true',
                        help='evaluate each run at its end alone (the '
                        "report leaves out the self-teacher's lead at the "
                        "warm-up end; the demo's table)")
    parser.add_argument('--twin-cfg-options', nargs='+', action=DictAction,
                        metavar='KEY=VALUE',
                        help='options of the twin alone, applied after it is '
                        'derived (e.g. the compute-matched twin: '
                        'train_cfg.max_iters=1720 param_scheduler.0.end=1720;'
                        ' each run is compared at its own end)')
    add_common_arguments(parser)
    args = parser.parse_args()
    if args.threads < 1 or (args.jobs is not None and args.jobs < 1):
        parser.error(f'--threads and --jobs must be >= 1, got --threads '
                     f'{args.threads} --jobs {args.jobs}')
    register_all_modules()
    name = osp.splitext(osp.basename(args.config))[0]
    frskd_cfg = load_config(args.config, args.cfg_options,
                            data_root=args.data_root)
    baseline_cfg = load_config(
        args.baseline, args.cfg_options,
        data_root=args.data_root) if args.baseline else None
    if args.twin_cfg_options:
        baseline_cfg = baseline_cfg or baseline_twin_config(frskd_cfg)
        baseline_cfg.merge_from_dict(args.twin_cfg_options)
    work_dir = args.work_dir or osp.join('work_dirs', 'gain_study', name)
    command = 'python tools/gain_study.py ' + ' '.join(
        shlex.quote(a) for a in sys.argv[1:])
    result = run_study(
        frskd_cfg, args.seeds, work_dir, runs_dir=args.runs_dir,
        baseline_cfg=baseline_cfg,
        holdout=None if args.holdout == 'none' else args.holdout,
        title=f'{name}: FRSKD vs its twin', commands=[command],
        gpus=args.gpus, threads=args.threads,
        jobs=args.jobs or default_jobs(args.threads, args.gpus),
        warm_start_from=args.warm_start_from,
        diagnose=not args.no_diagnostics,
        warmup_eval=not args.no_warmup_eval)
    print(result.markdown(f'{name}: FRSKD vs its twin'))
    print(f'report: {work_dir}/report.md, {work_dir}/report.png')


if __name__ == '__main__':
    with known_noise_silenced():
        main()

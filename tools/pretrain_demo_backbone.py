"""Pretrain the CPU demo's backbone, as ImageNet weights are for the paper.

    python tools/pretrain_demo_backbone.py [checkpoints/demo_r18_backbone_i1000.pth]

Makes a synthetic VOC-layout data set of its own (another seed and more
images than the demo's, never used for evaluation), trains the demo baseline
(``configs/demo/deeplab_r18_voc_demo.py``) on it with tools/train.py for
``--iters`` iterations (1000, its poly schedule ending there), and
writes the backbone's weights alone to the output checkpoint, which
``configs/demo/frskd_deeplab_r18_voc_demo_pretrained.py`` (and its baseline
twin) starts from; run again after a stop, it resumes the pretraining
where it stopped (exactly). Same arguments, same file: the data, the seed, the
training and its CPU thread count (``--threads``, 2 by default whatever the
environment's ``OMP_NUM_THREADS``: on a CPU the thread count changes the
floating-point sums, so another count pretrains another backbone) are fixed,
so it can be remade instead of shipped.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

from frskd_seg.apis.backbone_weights import save_backbone_weights  # noqa
from frskd_seg.datasets import SplitSizes, make_synthetic_voc0712  # noqa

BASELINE = osp.join(REPO, 'configs', 'demo', 'deeplab_r18_voc_demo.py')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'out', nargs='?',
        help='the backbone checkpoint (default: checkpoints/'
        'demo_r18_backbone_i<iters>.pth, the demo config\'s at the default '
        'iterations)')
    parser.add_argument(
        '--data-root', default=osp.join(REPO, 'data', 'voc_pretrain'),
        help='where the pretraining data set is made')
    parser.add_argument(
        '--work-dir',
        help='the pretraining run (default: work_dirs/pretrain_demo_i<iters>'
        '; a stopped run resumes there)')
    parser.add_argument('--images', type=int, default=400,
                        help='training images of the pretraining set')
    parser.add_argument('--iters', type=int, default=1000)
    parser.add_argument('--data-seed', type=int, default=1000,
                        help='seed of the pretraining set (the demo set '
                        'uses 0)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the training run')
    parser.add_argument('--threads', type=int, default=2,
                        help='CPU threads of the training (default 2, the '
                        "README's backbone)")
    return parser.parse_args()


def main():
    args = parse_args()
    if args.images < 2:
        raise SystemExit(f'--images must be >= 2, got {args.images}')
    if args.threads < 1:
        raise SystemExit(f'--threads must be >= 1, got {args.threads}')
    if args.iters < 1:
        raise SystemExit(f'--iters must be >= 1, got {args.iters}')
    # named by their length: a backbone or a stopped run of another length
    # is never taken for this one
    args.out = args.out or osp.join(
        REPO, 'checkpoints', f'demo_r18_backbone_i{args.iters}.pth')
    args.work_dir = args.work_dir or osp.join(
        REPO, 'work_dirs', f'pretrain_demo_i{args.iters}')
    half = args.images // 2
    # trained on: VOC2007 train+val and VOC2012 train; tiny test/val splits
    # only keep the demo's data protocol and its periodic validation cheap
    sizes = SplitSizes(voc07_train=half // 2, voc07_val=half - half // 2,
                       voc07_test=10, voc12_train=args.images - half,
                       voc12_val=10)
    make_synthetic_voc0712(args.data_root, sizes, seed=args.data_seed)
    cmd = [
        sys.executable, osp.join(REPO, 'tools', 'train.py'), BASELINE,
        '--data-root', args.data_root, '--work-dir', args.work_dir,
        '--cfg-options', f'train_cfg.max_iters={args.iters}',
        f'train_cfg.val_interval={args.iters}',
        f'default_hooks.checkpoint.interval={args.iters}',
        f'param_scheduler.0.end={args.iters}', f'randomness.seed={args.seed}'
    ]
    if osp.isfile(osp.join(args.work_dir, 'last_checkpoint')):
        cmd.append('--resume')  # a pretraining that was stopped goes on
    print('pretraining:', ' '.join(cmd), flush=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    subprocess.run(cmd, check=True, cwd=REPO, env=env)
    count = save_backbone_weights(
        osp.join(args.work_dir, f'iter_{args.iters}.pth'), args.out)
    print(f'{count} backbone tensors written to {args.out}')


if __name__ == '__main__':
    main()

"""What FRSKD costs, side by side with its baseline twin, in one process.

    python tools/benchmark.py configs/frskd_deeplab_voc.py [--baseline CONFIG]
        [--shape 512 512] [--batch 2] [--repeats 5] [--warmup 2] [--device cpu]
        [--profile 25] [--amp {config,auto,bfloat16,float16,off}]
        [--cfg-options key=value ...]

Prints parameters and FLOPs, training-step time and peak memory, inference
time (medians after warm-up) with FRSKD / baseline ratios, and where an FRSKD
training step spends its time. Without --baseline, the twin is the same
config with the FRSKD segmentor turned into mmseg's EncoderDecoder.
Training steps run as the config trains: cuDNN's autotuner per its
env_cfg.cudnn_benchmark, the forward under autocast if it trains with AMP
(--amp overrides; `auto` is what tools/train.py --amp picks for the GPU);
the table's settings line says which. --cfg-options changes the FRSKD
config before its twin is derived from it, as in tools/train.py.
"""
import argparse

import torch
from mmengine.config import Config, DictAction

import frskd_seg  # noqa: F401
from frskd_seg.analysis import benchmark
from frskd_seg.cli.config_utils import load_config
from mmseg.utils import register_all_modules


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='an FRSKD config')
    parser.add_argument('--baseline', help='the baseline twin config')
    parser.add_argument('--shape', type=int, nargs=2, default=(512, 512),
                        metavar=('H', 'W'), help='input size (default 512 '
                        '512)')
    parser.add_argument('--batch', type=int, default=2,
                        help='images per step (default 2)')
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed repetitions; medians are reported '
                        '(default 5)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed repetitions first (default 2)')
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu',
                        help='cpu, cuda or cuda:N (default: cuda if there '
                        'is one)')
    parser.add_argument('--no-breakdown', action='store_true',
                        help='skip the per-part timing of the FRSKD step')
    parser.add_argument('--profile', type=int, default=0, metavar='ROWS',
                        help='also print the torch.profiler table (ROWS most '
                        'expensive ops) of one FRSKD training step')
    parser.add_argument(
        '--amp', default='config',
        choices=['config', 'auto', 'bfloat16', 'float16', 'off'],
        help='precision of the training steps (default: as the config '
        'trains)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override FRSKD config settings, key=value')
    args = parser.parse_args()
    register_all_modules()
    result = benchmark(
        load_config(args.config, args.cfg_options),
        Config.fromfile(args.baseline) if args.baseline else None,
        shape=tuple(args.shape), batch_size=args.batch, repeats=args.repeats,
        warmup=args.warmup, device=args.device,
        breakdown=not args.no_breakdown, profile_rows=args.profile,
        amp=None if args.amp == 'off' else args.amp)
    print(result.table())


if __name__ == '__main__':
    main()

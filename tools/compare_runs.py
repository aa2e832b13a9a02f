"""Are two training runs the same run? Logged training values and final
weights, tensor for tensor.

    python tools/compare_runs.py WORK_DIR_A WORK_DIR_B [--checkpoint F]

Exits 0 and prints `same run: N logged lines, M tensors` when they agree;
else prints the differences and exits 1.
"""
import argparse
import sys

from frskd_seg.study.compare_runs import (compare_runs, last_log,
                                          logged_values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir_a')
    parser.add_argument('work_dir_b')
    parser.add_argument('--checkpoint', default=None,
                        help='checkpoint file in both work dirs (default: '
                        'the one last_checkpoint names in the first)')
    args = parser.parse_args()
    checkpoint = args.checkpoint
    if checkpoint is None:
        import os.path as osp
        with open(osp.join(args.work_dir_a, 'last_checkpoint')) as f:
            checkpoint = osp.basename(f.read().strip())
    differences = compare_runs(args.work_dir_a, args.work_dir_b, checkpoint)
    if differences:
        print('the runs differ:\n  ' + '\n  '.join(differences))
        sys.exit(1)
    lines = len(logged_values(last_log(args.work_dir_a)))
    print(f'same run: {lines} logged training lines and every tensor of '
          f'{checkpoint} equal')


if __name__ == '__main__':
    main()

"""Plot an FRSKD run's loss terms, distillation weight and mIoU to a PNG.

    python tools/plot_training.py WORK_DIR [--out curves.png] [--twin DIR]
"""
import argparse
import os.path as osp

from frskd_seg.visualization import plot_training_curves


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir', help='a tools/train.py work dir')
    parser.add_argument('--out', help='PNG path (default: WORK_DIR/'
                        'training_curves.png)')
    parser.add_argument('--twin', help='the baseline twin\'s work dir: its '
                        'validation mIoU beside the student\'s and the '
                        'self-teacher\'s')
    args = parser.parse_args()
    out = args.out or osp.join(args.work_dir, 'training_curves.png')
    print(plot_training_curves(args.work_dir, out, args.twin))


if __name__ == '__main__':
    main()

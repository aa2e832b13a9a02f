"""Make a small synthetic data set in the VOC2007 + VOC2012 layout.

    python tools/make_synthetic_voc.py data/voc0712_demo [--seed 0] ...

The folder plays the role of ``VOCdevkit``: point a config's ``data_root`` (or
the tools' ``--data-root``) at it.
"""
import argparse

from frskd_seg.datasets import SplitSizes, make_synthetic_voc0712


def main():
    defaults = SplitSizes()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='output folder (the VOCdevkit)')
    for field, value in vars(defaults).items():
        parser.add_argument(
            '--' + field.replace('_', '-'), type=int, default=value,
            help=f'images in {field} (default {value})')
    parser.add_argument('--num-object-classes', type=int, default=20,
                        help='object classes used, 1..20 (default 20)')
    parser.add_argument('--image-size', type=int, nargs=2, default=(120, 160),
                        metavar=('H', 'W'), help='mean image size')
    parser.add_argument('--seed', type=int, default=0,
                        help='same seed, same files (default 0)')
    args = parser.parse_args()
    sizes = SplitSizes(**{f: getattr(args, f) for f in vars(defaults)})
    counts = make_synthetic_voc0712(args.root, sizes, args.num_object_classes,
                                    tuple(args.image_size), args.seed)
    for split, count in counts.items():
        print(f'{split:>18}: {count} images')
    print(f'written to {args.root}')


if __name__ == '__main__':
    main()

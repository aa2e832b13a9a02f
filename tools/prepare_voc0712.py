"""Check a VOCdevkit for FRSKD's VOC2007+2012 protocol, without changing it.

    python tools/prepare_voc0712.py data/VOCdevkit [--no-mask-check]

Reports the images and masks of each split the configs use (VOC2007
trainval and test, VOC2012 trainval) and exactly what is missing or broken;
exits with status 1 if anything is.
"""
import argparse
import sys

from frskd_seg.datasets.checks import DatasetCheckError, check_split

SPLITS = [('VOC2007', 'trainval'), ('VOC2007', 'test'),
          ('VOC2012', 'trainval')]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('voc_root', help='the VOCdevkit folder')
    parser.add_argument('--no-mask-check', action='store_true',
                        help='only check that the listed files exist')
    args = parser.parse_args()
    problems = 0
    for year, split in SPLITS:
        try:
            count = check_split(
                args.voc_root, f'{year}/JPEGImages',
                f'{year}/SegmentationClass',
                f'{year}/ImageSets/Segmentation/{split}.txt',
                num_classes=21, check_masks=not args.no_mask_check)
            print(f'{year} {split:<9} ok: {count} images, {count} masks')
        except DatasetCheckError as error:
            problems += 1
            print(f'{year} {split:<9} PROBLEM: {error}')
    if problems:
        print(f'{problems} of {len(SPLITS)} splits have problems; see '
              'the README ("Training and testing on the real PASCAL VOC") '
              'for the expected layout')
        sys.exit(1)
    print('all splits ok')


if __name__ == '__main__':
    main()

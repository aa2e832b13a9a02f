"""Write an mmseg config's PASCAL VOC 2007+2012 version.

    python tools/retarget_voc0712.py SRC_CONFIG OUT_CONFIG [--data-root DIR]

OUT_CONFIG has SRC_CONFIG as its _base_ and replaces its data sets with
FRSKD's VOC07+12 protocol (VOC2007 + VOC2012 trainval -> VOC2007 test), sets
21 classes in every head and 512x512 crops; model, schedule and optimizer
stay SRC_CONFIG's. Works for FRSKD configs and plain mmseg ones alike.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from frskd_seg.datasets.retarget import write_voc0712_config  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='the config to retarget (a file, or '
                        'mmseg::<path> of a config of mmseg)')
    parser.add_argument('out', help='the config file to write')
    parser.add_argument('--data-root', help='the VOCdevkit folder (default '
                        "data/VOCdevkit, voc0712.py's)")
    args = parser.parse_args()
    src = args.src
    if src.startswith('mmseg::'):
        from mmengine.config.utils import _get_package_and_cfg_path
        from mmengine.utils import get_installed_path
        package, path = _get_package_and_cfg_path(src)
        src = osp.join(get_installed_path(package), '.mim', 'configs', path)
    if not osp.isfile(src):
        parser.error(f'config {args.src!r} does not exist')
    write_voc0712_config(
        src, args.out, args.data_root,
        base=args.src if args.src.startswith('mmseg::') else None)
    print(f'wrote {args.out}: {args.src} on PASCAL VOC 2007+2012')


if __name__ == '__main__':
    main()

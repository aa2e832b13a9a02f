"""Parameters and FLOPs of an FRSKD config's student and self-teacher.

    python tools/model_complexity.py configs/frskd_deeplab_voc.py [--shape 512 512]
        [--cfg-options model.self_teacher.width_ratio=0.25]
"""
import argparse

from mmengine.config import Config, DictAction

import frskd_seg  # noqa: F401
from frskd_seg.analysis import frskd_complexity
from mmseg.registry import MODELS
from mmseg.utils import register_all_modules


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=2, default=(512, 512),
                        metavar=('H', 'W'))
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    args = parser.parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.model.pretrained = None
    model = MODELS.build(cfg.model)
    print(frskd_complexity(model, (1, 3, *args.shape)).table())


if __name__ == '__main__':
    main()

"""Parameters and FLOPs of an FRSKD config's student and self-teacher.

    python tools/model_complexity.py configs/frskd_deeplab_voc.py [--shape 512 512]
        [--cfg-options model.self_teacher.width_ratio=0.25]

Counted on one image of the config's training crop size
(model.data_preprocessor.size) unless --shape says otherwise.
"""
import argparse

from mmengine.config import Config, DictAction

import frskd_seg  # noqa: F401
from frskd_seg.analysis import frskd_complexity
from mmseg.registry import MODELS
from mmseg.utils import register_all_modules


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='an FRSKD config')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help="input size (default: the config's crop, "
                        'model.data_preprocessor.size)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    args = parser.parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.model.pretrained = None
    shape = args.shape or config_crop(cfg)
    model = MODELS.build(cfg.model)
    print(frskd_complexity(model, (1, 3, *shape)).table())


def config_crop(cfg: Config):
    """The config's training crop (H, W), from its data preprocessor."""
    size = cfg.model.get('data_preprocessor', {}).get('size')
    if not size:
        raise SystemExit('the config has no model.data_preprocessor.size: '
                         'give --shape H W')
    return tuple(size)


if __name__ == '__main__':
    main()

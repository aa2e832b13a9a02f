"""Export the student of an FRSKD checkpoint as a plain mmseg model.

    python tools/export_student.py CONFIG CKPT OUT_DIR
    (installed: frskd-export CONFIG CKPT OUT_DIR, or
     python -m frskd_seg.cli.export CONFIG CKPT OUT_DIR)

Writes OUT_DIR/<config>_student.py (type='EncoderDecoder', no FRSKD keys, no
custom_imports) and OUT_DIR/<config>_student.pth (no self-teacher weights,
loadable with torch.load(weights_only=True)); both load with unmodified mmseg:
mmseg.apis.init_model(cfg, ckpt). A student built from frskd_seg's own
modules (configs/paper/: EfficientDet) keeps custom_imports of
frskd_seg.models, and then needs frskd_seg installed.
"""
import argparse
from typing import Optional, Sequence

from mmengine.config import Config

from frskd_seg.apis import export_student
from .console import known_noise_silenced, user_errors_briefly


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the FRSKD config')
    parser.add_argument('checkpoint', help='the FRSKD checkpoint')
    parser.add_argument('out_dir', help='output folder')
    args = parser.parse_args(argv)
    with known_noise_silenced(), user_errors_briefly():
        cfg_path, ckpt_path = export_student(args.config, args.checkpoint,
                                             args.out_dir)
        imports = Config.fromfile(cfg_path).get('custom_imports')
    kind = 'plain mmseg' if imports is None else 'mmseg'
    print(f'{kind} config:     {cfg_path}\n'
          f'{kind} checkpoint: {ckpt_path}')
    if imports is not None:
        print(f'the student is built from modules of {imports["imports"]}: '
              'loading it needs frskd_seg installed')


if __name__ == '__main__':
    main()

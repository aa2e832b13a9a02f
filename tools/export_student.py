"""Export the student of an FRSKD checkpoint as a plain mmseg model.

    python tools/export_student.py CONFIG CKPT OUT_DIR

Writes OUT_DIR/<config>_student.py (type='EncoderDecoder', no FRSKD keys, no
custom_imports) and OUT_DIR/<config>_student.pth (no self-teacher weights,
loadable with torch.load(weights_only=True)); both load with unmodified mmseg:
mmseg.apis.init_model(cfg, ckpt).
"""
import argparse

from frskd_seg.apis import export_student


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the FRSKD config')
    parser.add_argument('checkpoint', help='the FRSKD checkpoint')
    parser.add_argument('out_dir', help='output folder')
    args = parser.parse_args()
    cfg_path, ckpt_path = export_student(args.config, args.checkpoint,
                                         args.out_dir)
    print(f'plain mmseg config:     {cfg_path}\n'
          f'plain mmseg checkpoint: {ckpt_path}')


if __name__ == '__main__':
    main()

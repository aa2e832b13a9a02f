"""Attention maps of the student's and the self-teacher's features, and both
predictions, for your own images: one PNG grid per image.

    python tools/vis_attention.py CONFIG CKPT IMAGE [IMAGE ...] --out DIR

An image in a VOC layout (``.../JPEGImages/x.jpg``) is shown with its
ground truth (``.../SegmentationClass/x.png``) when there is one.
"""
import argparse
import os
import os.path as osp

import frskd_seg  # noqa: F401
from frskd_seg.utils.checkpoint import load_local_checkpoint
from frskd_seg.visualization import (attention_figure, compute_attention_maps,
                                     voc_ground_truth)
from mmseg.apis import init_model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='an FRSKD config')
    parser.add_argument('checkpoint', help='an FRSKD checkpoint')
    parser.add_argument('images', nargs='+', help='image files')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--device', default='cpu',
                        help="e.g. 'cpu', 'cuda', 'cuda:1'")
    args = parser.parse_args()
    for image in args.images:
        if not osp.isfile(image):
            parser.error(f'image {image!r} does not exist')
    # an exported student has no self-teacher: init_model would only warn
    # and the maps would come from a randomly initialised one
    state = load_local_checkpoint(args.checkpoint, 'cpu')
    state = state.get('state_dict', state)
    if not any(k.startswith('self_teacher.') for k in state):
        parser.error(f'{args.checkpoint} has no self_teacher.* weights (an '
                     'exported student, or a baseline checkpoint?): the '
                     "self-teacher's attention maps need an FRSKD training "
                     'checkpoint')
    model = init_model(args.config, args.checkpoint, device=args.device)
    meta = model.dataset_meta
    os.makedirs(args.out, exist_ok=True)
    for image in args.images:
        maps = compute_attention_maps(model, image, voc_ground_truth(image))
        name = osp.splitext(osp.basename(image))[0]
        path = osp.join(args.out, f'{name}_attention.png')
        attention_figure(maps, meta['palette'], title=osp.basename(image),
                         path=path, classes=meta['classes'])
        print(path)


if __name__ == '__main__':
    main()

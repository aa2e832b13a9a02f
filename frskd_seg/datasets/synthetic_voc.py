"""A small synthetic data set in the exact VOC2007 + VOC2012 layout.

The real VOC cannot be downloaded on the machines this project is tested on,
so the code paths for it (mmseg's ``PascalVOCDataset``, our VOC07+12 configs,
the tools) are exercised on data generated here::

    ROOT/                                   (plays the role of VOCdevkit/)
      VOC2007/JPEGImages/000005.jpg ...
      VOC2007/SegmentationClass/000005.png  (palette PNG, values 0..20 and 255)
      VOC2007/ImageSets/Segmentation/{train,val,trainval,test}.txt
      VOC2012/JPEGImages/2007_000033.jpg ...
      VOC2012/SegmentationClass/...
      VOC2012/ImageSets/Segmentation/{train,val,trainval}.txt

Scenes are not trivial: a textured, shaded background and one to four objects
of several classes, each a random ellipse, rectangle or polygon with its
class's colour (jittered) and texture (stripes, checks, dots or plain),
painted back to front so later objects occlude earlier ones. As in VOC, a
band of "void" (255) pixels runs along every object boundary.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

VOC_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle',
               'bus', 'car', 'cat', 'chair', 'cow', 'diningtable', 'dog',
               'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa',
               'train', 'tvmonitor')
IGNORE_INDEX = 255
MARKER = '.frskd_synthetic_voc'


def voc_palette() -> List[int]:
    """VOC's 256-entry colour map, flattened to 768 ints (PIL palette)."""
    palette = []
    for label in range(256):
        r = g = b = 0
        c = label
        for shift in range(7, -1, -1):
            r |= ((c >> 0) & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette += [r, g, b]
    return palette


@dataclass
class SplitSizes:
    """Number of images per split. VOC2007's train+val make its trainval.

    The defaults train on 120 images (VOC2007 trainval + VOC2012 train) and
    hold out 200 (VOC2012 val, to choose designs on) and 300 (VOC2007 test,
    to report): held-out splits large enough that a paired study resolves
    about 1 mIoU (docs/results.md), still cheap to evaluate.
    """
    voc07_train: int = 30
    voc07_val: int = 30
    voc07_test: int = 300
    voc12_train: int = 60
    voc12_val: int = 200


def _class_appearance(num_object_classes: int,
                      rng: np.random.Generator) -> Dict[int, dict]:
    # Hues spread round the circle and two brightness levels keep the classes
    # apart; a texture per class gives a second cue.
    textures = ('stripes', 'checks', 'dots', 'plain')
    looks = {}
    for k in range(1, num_object_classes + 1):
        hue = int((k * 180 / num_object_classes * 7) % 180)
        value = 235 if k % 2 else 165
        hsv = np.uint8([[[hue, 210, value]]])
        looks[k] = dict(
            color=cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(
                np.float32),
            texture=textures[k % len(textures)],
            period=int(rng.integers(5, 10)))
    return looks


def _texture(kind: str, period: int, h: int, w: int, angle: float):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = xx * np.cos(angle) + yy * np.sin(angle)
    v = -xx * np.sin(angle) + yy * np.cos(angle)
    if kind == 'stripes':
        return 0.75 + 0.25 * (np.sin(2 * np.pi * u / period) > 0)
    if kind == 'checks':
        return 0.75 + 0.25 * ((np.floor(u / period) + np.floor(v / period)) %
                              2)
    if kind == 'dots':
        d = ((np.mod(u, period) - period / 2)**2 +
             (np.mod(v, period) - period / 2)**2)
        return 1.0 - 0.3 * (d < (period / 3)**2)
    return np.ones((h, w), np.float32)


def _object_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    cy, cx = rng.uniform(0.15, 0.85) * h, rng.uniform(0.15, 0.85) * w
    sy, sx = rng.uniform(0.12, 0.35) * h, rng.uniform(0.12, 0.35) * w
    shape = rng.choice(['ellipse', 'rectangle', 'polygon'])
    if shape == 'ellipse':
        cv2.ellipse(mask, (int(cx), int(cy)), (int(sx), int(sy)),
                    float(rng.uniform(0, 180)), 0, 360, 1, -1)
    elif shape == 'rectangle':
        box = cv2.boxPoints(((cx, cy), (2 * sx, 2 * sy),
                             float(rng.uniform(0, 90))))
        cv2.fillPoly(mask, [box.astype(np.int32)], 1)
    else:
        n = int(rng.integers(3, 8))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = rng.uniform(0.5, 1.0, n)
        pts = np.stack([cx + sx * radii * np.cos(angles),
                        cy + sy * radii * np.sin(angles)], 1)
        cv2.fillPoly(mask, [pts.astype(np.int32)], 1)
    return mask.astype(bool)


def make_scene(rng: np.random.Generator, looks: Dict[int, dict],
               size: Tuple[int, int],
               void_width: int = 2) -> Tuple[np.ndarray, np.ndarray]:
    """One image (H, W, 3) uint8 BGR and its label map (H, W) uint8."""
    h, w = size
    # background: low-saturation colour, a smooth gradient and grain
    base = rng.uniform(70, 150, 3).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 0.8 + 0.4 * (xx / w * rng.uniform(-1, 1) +
                         yy / h * rng.uniform(-1, 1))
    img = base[None, None] * shade[..., None]
    img += cv2.GaussianBlur(
        rng.normal(0, 25, (h, w, 1)).astype(np.float32), (0, 0), 3)[..., None]
    label = np.zeros((h, w), np.uint8)
    object_ids = np.zeros((h, w), np.int32)

    num_objects = int(rng.integers(1, 5))
    for obj in range(1, num_objects + 1):
        cls = int(rng.integers(1, len(looks) + 1))
        look = looks[cls]
        mask = _object_mask(h, w, rng)
        color = look['color'] * rng.uniform(0.85, 1.15) + rng.normal(0, 8, 3)
        tex = _texture(look['texture'], look['period'], h, w,
                       float(rng.uniform(0, np.pi)))
        # light from one side of the object, so it is not a flat patch
        light = 0.85 + 0.3 * (xx / w)
        img[mask] = (color[None] * (tex * light)[mask][:, None])
        label[mask] = cls
        object_ids[mask] = obj

    img += rng.normal(0, 4, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)

    # VOC marks object boundaries as void: pixels whose neighbourhood holds
    # more than one object id (background included) become 255.
    kernel = np.ones((2 * void_width + 1, 2 * void_width + 1), np.uint8)
    ids = object_ids.astype(np.float32)
    boundary = cv2.dilate(ids, kernel) != cv2.erode(ids, kernel)
    label[boundary] = IGNORE_INDEX
    return img, label


def _voc_name(year: str, index: int) -> str:
    # VOC's own naming: 000123 in VOC2007, 2008_000123 in VOC2012
    return (f'{index:06d}' if year == 'VOC2007' else
            f'{2007 + index % 5}_{index:06d}')


def _write_image(year_dir: str, name: str, img: np.ndarray) -> None:
    path = osp.join(year_dir, 'JPEGImages', f'{name}.jpg')
    if not cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 92]):
        raise OSError(f'could not write {name}.jpg under {year_dir}')


def _write_pair(year_dir: str, name: str, img: np.ndarray, label: np.ndarray,
                palette: List[int]) -> None:
    _write_image(year_dir, name, img)
    png = Image.fromarray(label, mode='P')
    png.putpalette(palette)
    png.save(osp.join(year_dir, 'SegmentationClass', f'{name}.png'))


def _write_list(year_dir: str, split: str, names: Sequence[str]) -> None:
    path = osp.join(year_dir, 'ImageSets', 'Segmentation', f'{split}.txt')
    with open(path, 'w') as f:
        f.write(''.join(f'{n}\n' for n in names))


def make_synthetic_voc0712(root: str,
                           sizes: Optional[SplitSizes] = None,
                           num_object_classes: int = 20,
                           image_size: Tuple[int, int] = (120, 160),
                           seed: int = 0) -> Dict[str, int]:
    """Write a synthetic VOC2007 + VOC2012 data set under ``root``.

    Args:
        root (str): Folder playing the role of ``VOCdevkit``. Must be empty,
            missing, or an earlier synthetic set (overwritten);
            a folder with other contents (a real VOCdevkit, say) is refused.
        sizes (SplitSizes, optional): Images per split.
        num_object_classes (int): Object classes used, 1..20 (VOC's first k).
        image_size (tuple): Mean (H, W); each image varies by up to ±20 %.
        seed (int): Seed of the generator; same seed, same files.

    Returns:
        dict: Number of images written per split, e.g. ``'VOC2007/test'``.
    """
    if not 1 <= num_object_classes <= 20:
        raise ValueError('num_object_classes must be in 1..20, got '
                         f'{num_object_classes!r}')
    sizes = sizes or SplitSizes()
    if osp.isdir(root) and os.listdir(root) and not osp.exists(
            osp.join(root, MARKER)):
        raise FileExistsError(
            f'{root} exists and is not a synthetic data set made by '
            'frskd_seg: refusing to write into it')
    rng = np.random.default_rng(seed)
    looks = _class_appearance(num_object_classes, rng)
    palette = voc_palette()

    def scene(rng):
        scale = rng.uniform(0.8, 1.2, 2)
        return make_scene(rng, looks, (int(image_size[0] * scale[0]),
                                       int(image_size[1] * scale[1])))

    counts = {}
    plan = {
        'VOC2007': [('train', sizes.voc07_train), ('val', sizes.voc07_val),
                    ('test', sizes.voc07_test)],
        'VOC2012': [('train', sizes.voc12_train), ('val', sizes.voc12_val)],
    }
    index = 0
    for year, splits in plan.items():
        year_dir = osp.join(root, year)
        for sub in ('JPEGImages', 'SegmentationClass',
                    osp.join('ImageSets', 'Segmentation')):
            os.makedirs(osp.join(year_dir, sub), exist_ok=True)
        names_by_split = {}
        for split, count in splits:
            names = []
            for _ in range(count):
                index += 1
                _write_pair(year_dir, _voc_name(year, index), *scene(rng),
                            palette)
                names.append(_voc_name(year, index))
            names_by_split[split] = names
            _write_list(year_dir, split, names)
            counts[f'{year}/{split}'] = count
        trainval = names_by_split['train'] + names_by_split['val']
        _write_list(year_dir, 'trainval', trainval)
        counts[f'{year}/trainval'] = len(trainval)
    with open(osp.join(root, MARKER), 'w') as f:
        f.write(f'seed={seed} num_object_classes={num_object_classes}\n')
    return counts

"""PASCAL VOC's images without a segmentation mask: the unlabeled pool."""
import os.path as osp
from typing import List, Sequence, Union

from frskd_seg.utils.errors import ConfigError
from mmseg.datasets import BaseSegDataset, PascalVOCDataset
from mmseg.registry import DATASETS
from .checks import DatasetCheckError, image_names
from .private_random import PrivateRandomState


@DATASETS.register_module()
class VOCUnlabeledDataset(BaseSegDataset):
    """The images of a VOC image list (``ImageSets/Main``) that have no
    segmentation mask and are in no held-out list.

    VOC lists far more images than it segments: VOC2012's ``ImageSets/Main/
    trainval.txt`` names 11,540 images, 2,913 of which have a mask in
    ``SegmentationClass`` (VOC2007: 5,011 and 422). An image is in the pool
    when it is named in ``ann_file``, has no file in ``seg_map_path`` (so
    every image of a segmentation split, the held-out ones included, stays
    out), and is named in none of ``held_out`` (so a test image without a
    mask stays out too). Its samples carry no ``gt_sem_seg``: the FRSKD
    segmentor distils on them (``model.unlabeled``) and computes no CE.

    The pipeline's random draws (resizing, cropping, flipping) come from a
    stream of the data set's own (:class:`PrivateRandomState`), so a
    data-loader worker that also prepares labeled images gives those exactly
    the augmentations it gives them without the pool: the labeled batches
    stay those of the baseline twin. The pipeline must not load annotations
    (there are none) nor crop by class ratio (``cat_max_ratio`` reads the
    mask).

    Args:
        ann_file (str): The image list, relative to ``data_root``, e.g.
            ``'VOC2012/ImageSets/Main/trainval.txt'`` (one name per line; a
            class list's ``name  1`` lines are read too).
        data_prefix (dict): ``img_path`` (the ``JPEGImages`` folder) and
            ``seg_map_path`` (the ``SegmentationClass`` folder: images with
            a mask there are left out).
        held_out (str | Sequence[str]): Lists, relative to ``data_root``,
            whose images are never in the pool (those that do not exist are
            skipped: VOC2012 has no test list).
        **kwargs: :class:`BaseSegDataset`'s (``data_root``, ``pipeline``,
            ...).
    """

    METAINFO = PascalVOCDataset.METAINFO

    def __init__(self,
                 ann_file: str,
                 data_prefix: dict = dict(img_path='', seg_map_path=''),
                 held_out: Union[str, Sequence[str]] = (),
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 **kwargs):
        if not ann_file:
            raise ConfigError('VOCUnlabeledDataset needs ann_file, the image '
                              "list (e.g. 'VOC2012/ImageSets/Main/"
                              "trainval.txt'), got " + repr(ann_file))
        self.held_out = [held_out] if isinstance(held_out, str) else list(
            held_out)
        self.random_state = PrivateRandomState()
        super().__init__(ann_file=ann_file, data_prefix=data_prefix,
                         img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix, **kwargs)

    def _root(self, path: str) -> str:
        return osp.join(self.data_root, path) if self.data_root else path

    def load_data_list(self) -> List[dict]:
        """One ``dict(img_path=...)`` per pool image, in list order."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'VOCUnlabeledDataset: the image list {self.ann_file} does '
                'not exist (ImageSets/Main comes with the VOC trainval '
                'tarballs)')
        excluded = set()
        for held in self.held_out:
            if osp.isfile(self._root(held)):
                excluded.update(image_names(self._root(held)))
        img_dir = self.data_prefix.get('img_path', '')
        seg_dir = self.data_prefix.get('seg_map_path', '')
        data_list = []
        for name in image_names(self.ann_file):
            if name in excluded or (seg_dir and osp.exists(
                    osp.join(seg_dir, name + self.seg_map_suffix))):
                continue
            data_list.append(dict(
                img_path=osp.join(img_dir, name + self.img_suffix),
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[]))
        if not data_list:
            raise DatasetCheckError(
                f'{self.ann_file}: no image without a mask (the unlabeled '
                'pool is empty): every listed image has a mask or is held '
                'out')
        return data_list

    def prepare_data(self, idx):
        """The pipeline's output for image ``idx``, its random draws from
        the data set's own stream."""
        with self.random_state:
            return super().prepare_data(idx)

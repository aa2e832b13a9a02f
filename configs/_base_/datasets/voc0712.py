# PASCAL VOC 2007+2012 for segmentation, the FRSKD protocol
# (docs/method.md, Data protocol):
# train on VOC2007 trainval + VOC2012 trainval (~3.3k images), evaluate on the
# VOC2007 segmentation test split (210 images). Pipelines are mmseg's VOC ones:
# masks padded with 255 and evaluation at the original resolution (the
# official FRSKD code pads masks with 0 and evaluates at a fixed 512x512).
#
# Layout expected under data_root (as the VOC tarballs extract):
#   VOC2007/{JPEGImages,SegmentationClass,ImageSets/Segmentation/{trainval,test}.txt}
#   VOC2012/{JPEGImages,SegmentationClass,ImageSets/Segmentation/trainval.txt}
# Change data_root here, or pass `--data-root DIR` to frskd-seg's tools.
_base_ = 'mmseg::_base_/datasets/pascal_voc12.py'

data_root = 'data/VOCdevkit'


def _voc(year, split, pipeline):
    return dict(
        type='PascalVOCDataset',
        data_root=data_root,
        data_prefix=dict(
            img_path=f'{year}/JPEGImages',
            seg_map_path=f'{year}/SegmentationClass'),
        ann_file=f'{year}/ImageSets/Segmentation/{split}.txt',
        pipeline=pipeline)


voc07_trainval = _voc('VOC2007', 'trainval', {{_base_.train_pipeline}})
voc12_trainval = _voc('VOC2012', 'trainval', {{_base_.train_pipeline}})
voc07_test = _voc('VOC2007', 'test', {{_base_.test_pipeline}})

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[voc07_trainval, voc12_trainval]))
val_dataloader = dict(dataset=dict(_delete_=True, **voc07_test))
test_dataloader = val_dataloader

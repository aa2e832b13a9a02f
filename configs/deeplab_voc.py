# Baseline twin of frskd_deeplab_voc.py: mmseg's DeepLabV3 ResNet-50-D8
# (4 GPUs x 4 images, 20k iterations, 512x512 crops) on VOC2007+2012 trainval,
# evaluated on VOC2007 test. Identical to the FRSKD config but for FRSKD.
_base_ = [
    'mmseg::_base_/models/deeplabv3_r50-d8.py',
    './_base_/datasets/voc0712.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py',
    './_base_/frskd_runtime.py',
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=21),
    auxiliary_head=dict(num_classes=21))

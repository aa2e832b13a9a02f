# Baseline twin of frskd_deeplab_voc.py: mmseg's DeepLabV3 ResNet-50-D8
# (4 GPUs x 4 images, 20k iterations, 512x512 crops) on VOC2007+2012 trainval,
# evaluated on VOC2007 test. Identical to the FRSKD config but for FRSKD.
_base_ = [
    'mmseg::_base_/models/deeplabv3_r50-d8.py',
    './_base_/datasets/voc0712.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py',
]
# registers FRSKD's modules and the checkpoint-loading fix for torch >= 2.6,
# so mmseg's own tools (and mim) work with these configs too
custom_imports = dict(imports=['frskd_seg'], allow_failed_imports=False)

# random-generator states in checkpoints (--resume continues exactly), a stop
# at the first NaN/Inf loss term before it can be checkpointed, and no
# --resume of an FRSKD run from a checkpoint without self-teacher weights
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='ResumeCheckHook')
]

crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=21),
    auxiliary_head=dict(num_classes=21))

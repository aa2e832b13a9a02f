# Baseline twin of frskd_deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py:
# exactly mmseg's config (published: 76.17 mIoU on VOC2012 val).
_base_ = 'mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py'
custom_imports = dict(imports=['frskd_seg'], allow_failed_imports=False)
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='ResumeCheckHook')
]

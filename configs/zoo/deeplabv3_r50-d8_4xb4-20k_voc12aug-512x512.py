# Baseline twin of frskd_deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py:
# exactly mmseg's config (published: 76.17 mIoU on VOC2012 val).
_base_ = [
    'mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py',
    '../_base_/frskd_runtime.py'
]

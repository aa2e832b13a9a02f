# Baseline twin of frskd_fcn_hr18_4xb4-20k_voc0712-512x512.py (identical but
# for FRSKD): mmseg's fcn_hr18 on VOC2007+2012 trainval -> VOC2007 test,
# 512x512, 20k iterations.
_base_ = [
    'mmseg::_base_/models/fcn_hr18.py', '../_base_/datasets/voc0712.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_20k.py',
    '../_base_/frskd_runtime.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=21))

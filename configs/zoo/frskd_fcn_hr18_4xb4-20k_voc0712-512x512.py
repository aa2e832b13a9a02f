# FRSKD on fcn_hr18_4xb4-20k_voc0712-512x512.py (its baseline twin), with the
# recipe of ../_base_/frskd.py at widths 1 x (HRNet-W18 is narrow): the
# self-teacher refines the three finer branches and the resize-concat FCN
# head's 270-channel map.
_base_ = ['./fcn_hr18_4xb4-20k_voc0712-512x512.py', '../_base_/frskd.py']

model = dict(
    _base_.frskd_model,
    self_teacher=dict(
        type='SelfTeacherNeck',
        width_ratio=1.0,
        norm_cfg=dict(type='SyncBN', requires_grad=True)))

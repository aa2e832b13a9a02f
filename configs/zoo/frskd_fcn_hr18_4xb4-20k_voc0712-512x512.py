# FRSKD on fcn_hr18_4xb4-20k_voc0712-512x512.py (its baseline twin), with the
# recipe of ../_base_/frskd.py at widths 0.5 x (HRNet-W18 is narrow; 1 x
# costs 27.5 % of the student's FLOPs, as its head's 270-channel map is at
# stride 4): the self-teacher refines the three finer branches and that map.
_base_ = ['./fcn_hr18_4xb4-20k_voc0712-512x512.py', '../_base_/frskd.py']

model = dict(
    _base_.frskd_model,
    self_teacher=dict(
        type='SelfTeacherNeck',
        width_ratio=0.5,
        norm_cfg=dict(type='SyncBN', requires_grad=True)))
val_evaluator = _base_.frskd_evaluator
test_evaluator = val_evaluator

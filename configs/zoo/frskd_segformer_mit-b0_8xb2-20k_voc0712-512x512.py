# FRSKD on segformer_mit-b0_8xb2-20k_voc0712-512x512.py (its baseline twin),
# with the recipe of ../_base_/frskd.py at widths 0.5 x (MiT-B0 is narrow):
# the self-teacher refines the three finer stages and the SegFormer head's
# fused 256-channel map.
_base_ = ['./segformer_mit-b0_8xb2-20k_voc0712-512x512.py', '../_base_/frskd.py']

model = dict(
    _base_.frskd_model,
    self_teacher=dict(
        type='SelfTeacherNeck',
        width_ratio=0.5,
        norm_cfg=dict(type='SyncBN', requires_grad=True)))
val_evaluator = _base_.frskd_evaluator
test_evaluator = val_evaluator

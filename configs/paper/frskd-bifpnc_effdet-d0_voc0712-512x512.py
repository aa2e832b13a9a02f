# frskd_effdet-d0_voc0712-512x512.py with this project's self-teacher instead
# of the official segmentation BiFPN: SelfTeacherNeck (the BiFPNc of the
# paper's classification code, docs/method.md, Self-teacher: laterals,
# weighted fusion,
# depthwise-separable node convs) on the same six decoder outputs, 64
# channels per level like the decoder. Everything else is the FRSKD config's.
_base_ = ['./frskd_effdet-d0_voc0712-512x512.py']

model = dict(
    self_teacher=dict(
        _delete_=True,
        type='SelfTeacherNeck',
        out_channels=64,
        norm_cfg={{_base_.norm_cfg}}))

# CPU demo with a DeepLabV3+ student: frskd_deeplab_r18_voc_demo.py whose
# decode head also reads the stride-4 level (mmseg's
# DepthwiseSeparableASPPHead, its low-level branch at 16 -> 8 channels) and
# classifies at stride 4, like the self-teacher's head on T1: the
# self-teacher's lead cannot be one of resolution. tools/gain_study.py gives
# it its twin (the same config with EncoderDecoder).
_base_ = './frskd_deeplab_r18_voc_demo.py'

model = dict(
    decode_head=dict(
        type='DepthwiseSeparableASPPHead', c1_in_channels=16,
        c1_channels=8))

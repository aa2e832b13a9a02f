# FRSKD ablation (the paper's): Overhaul instead of attention transfer (margins from
# the self-teacher's BN, partial L2); beta = 1e-3 is the Overhaul paper's 1/1000
# scaling of its summed loss.
_base_ = '../frskd_deeplab_voc.py'
model = dict(
    loss_feat=dict(type='OverhaulLoss', loss_weight=1e-3))

# FRSKD ablation (the paper's): logit distillation only, no feature term: the
# official KL (the recipe leaves it off) instead of attention transfer.
_base_ = '../frskd_deeplab_voc.py'
model = dict(loss_kd=dict(type='PixelKLDivLoss'), loss_feat=None)

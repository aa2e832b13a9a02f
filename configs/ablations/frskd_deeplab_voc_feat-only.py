# FRSKD ablation (the paper's): feature distillation only, no KD term:
# attention transfer alone, the recipe before both losses (its row in
# docs/results.md).
_base_ = '../frskd_deeplab_voc.py'
model = dict(loss_kd=None)

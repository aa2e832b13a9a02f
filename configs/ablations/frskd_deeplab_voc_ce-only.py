# FRSKD ablation (the paper's): no distillation at all: the self-teacher trains
# with its cross-entropy only (detached from the student, as in the recipe).
_base_ = '../frskd_deeplab_voc.py'
model = dict(loss_kd=None, loss_feat=None)

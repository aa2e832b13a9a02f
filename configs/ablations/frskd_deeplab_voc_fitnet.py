# FRSKD ablation (the paper's): FitNet instead of attention transfer (1x1 conv-BN-ReLU
# regressors on the student side, MSE).
_base_ = '../frskd_deeplab_voc.py'
model = dict(loss_feat=dict(type='FitNetLoss', loss_weight=1.0))

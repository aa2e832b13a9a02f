# FRSKD ablation (the paper's): one depthwise-separable pair per node instead of two.
_base_ = '../frskd_deeplab_voc.py'
model = dict(self_teacher=dict(num_node_convs=1))

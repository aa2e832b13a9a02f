# The control of frskd_deeplab_r18_voc_demo_pretrained_unlabeled.py: the same
# KL on the images without masks, taught by an exponential moving average of
# the student (a mean teacher) instead of the self-teacher. On labeled
# images the recipe is unchanged (the self-teacher distils there).
_base_ = './frskd_deeplab_r18_voc_demo_pretrained_unlabeled.py'

model = dict(unlabeled=dict(teacher='ema', feat=False))

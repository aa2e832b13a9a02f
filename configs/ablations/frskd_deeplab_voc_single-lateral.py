# FRSKD ablation (the paper's): one lateral per level (the paper's text) instead
# of the official code's second bottom-up laterals. The bottom-up path exists
# only when asked for (top_down_only=False): with the self-teacher's head on T1
# nothing trains it (its parameters are frozen at build), so in this layout the
# ablation shows the structure's cost; it matters where the head reads the
# bottom-up levels (self_teacher_input='backbone').
_base_ = '../frskd_deeplab_voc.py'
model = dict(self_teacher=dict(top_down_only=False, bottom_up_laterals=False))

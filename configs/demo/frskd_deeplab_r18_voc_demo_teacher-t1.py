# Study variant of the CPU demo: the self-teacher's classifier reads the
# finest refined level T1 (stride 4: twice the resolution of the student's
# ASPP map) instead of the refined ASPP map.
_base_ = './frskd_deeplab_r18_voc_demo.py'

model = dict(teacher_head=dict(_delete_=True, in_index=0))

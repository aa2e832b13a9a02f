# What every frskd-seg config adds to mmseg's runtime:
# - importing frskd_seg registers FRSKD's modules and the checkpoint-loading
#   fix for torch >= 2.6, so mmseg's own tools (and mim) run these configs;
# - random-generator states in checkpoints (--resume continues exactly), a
#   stop at the first NaN/Inf loss term before it can be checkpointed, no
#   --resume of an FRSKD run from a checkpoint without self-teacher weights,
#   and Ctrl-C / SIGTERM ending a training with a checkpoint and a resume
#   hint (status 130 / 143) rather than a traceback.
custom_imports = dict(imports=['frskd_seg'], allow_failed_imports=False)
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='ResumeCheckHook'),
    dict(type='GracefulStopHook')
]

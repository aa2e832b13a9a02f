"""Evaluate a checkpoint: python tools/test.py CONFIG CHECKPOINT [--out DIR] [--show-dir DIR] [--tta] ..."""
from frskd_seg.cli.test import main

if __name__ == '__main__':
    main()

"""Train a segmentor: python tools/train.py CONFIG [--work-dir DIR] [--resume] [--amp] ..."""
from frskd_seg.cli.train import main

if __name__ == '__main__':
    main()

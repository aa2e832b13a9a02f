"""Export the student of an FRSKD checkpoint: python tools/export_student.py CONFIG CKPT OUT_DIR (frskd_seg/cli/export.py)."""
from frskd_seg.cli.export import main

if __name__ == '__main__':
    main()

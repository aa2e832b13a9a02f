"""Export the student of an FRSKD checkpoint as a plain mmseg model.

    python tools/export_student.py CONFIG CKPT OUT_DIR

The command is frskd_seg/cli/export.py's (installed: frskd-export).
"""
from frskd_seg.cli.export import main

if __name__ == '__main__':
    main()

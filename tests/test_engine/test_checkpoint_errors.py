"""Checkpoints that are not ours: clear errors, nothing trained on."""
import os.path as osp
import shutil

import pytest
import torch

from frskd_seg.utils import load_local_checkpoint
from tests.conftest import DEMO_CONFIG, run_python


def test_truncated_and_foreign_files(tmp_path):
    path = tmp_path / 'model.pth'
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, path)
    data = path.read_bytes()
    (tmp_path / 'truncated.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / 'notes.pth').write_text('not a checkpoint')
    for name in ('truncated.pth', 'notes.pth'):
        with pytest.raises(ValueError,
                           match=rf'{name} is not a readable PyTorch '
                           r'checkpoint \(truncated, corrupted or another '
                           r'format\)'):
            load_local_checkpoint(str(tmp_path / name))


def test_resuming_frskd_from_a_plain_checkpoint_is_refused(
        trained, synthetic_voc, tmp_path):
    """A plain mmseg checkpoint (the exported student) put where --resume
    looks for the latest checkpoint."""
    from frskd_seg.apis import export_student
    work_dir, _ = trained
    _, plain = export_student(DEMO_CONFIG, osp.join(work_dir, 'iter_8.pth'),
                              str(tmp_path / 'export'))
    resume_dir = tmp_path / 'work'
    resume_dir.mkdir()
    shutil.copy(plain, resume_dir / 'iter_8.pth')
    (resume_dir / 'last_checkpoint').write_text(
        str(resume_dir / 'iter_8.pth'))
    proc = run_python('tools/train.py', DEMO_CONFIG, '--work-dir',
                      str(resume_dir), '--data-root', synthetic_voc,
                      '--resume', '--cfg-options', 'train_cfg.max_iters=10')
    assert proc.returncode != 0
    assert ('cannot resume an FRSKD run from a checkpoint without '
            'self_teacher.* weights') in proc.stderr
    assert not (resume_dir / 'iter_10.pth').exists()

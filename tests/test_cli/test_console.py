"""What tools/train.py prints: a summary on the terminal, the whole config
and hook table in the work dir, and a config dump showing what was used."""
import glob
import os.path as osp
import re

from mmengine.config import Config


def test_terminal_shows_a_summary_and_the_work_dir_keeps_all(
        trained, synthetic_voc):
    work_dir, log = trained
    assert 'Hooks will be executed in the following order' not in log
    dumped = osp.join(work_dir, 'frskd_deeplab_r18_voc_demo.py')
    found = re.search(r'Config: (\d+) lines, as used, in (\S+) \(and in the '
                      r'log file\)', log)
    assert found and found.group(2) == dumped, log[:3000]
    assert int(found.group(1)) > 300
    assert len(log.splitlines()) < 200
    log_file = glob.glob(osp.join(work_dir, '*', '*.log'))[0]
    text = open(log_file).read()
    assert 'Config:\n' in text
    assert 'Hooks will be executed in the following order' in text

    cfg = Config.fromfile(dumped)
    # the helper variables of the bases show what was used
    assert cfg.data_root == synthetic_voc
    for name in ('voc07_trainval', 'voc12_trainval', 'voc07_test'):
        assert cfg[name].data_root == synthetic_voc
    assert cfg.data_preprocessor == cfg.model.data_preprocessor
    assert tuple(cfg.data_preprocessor.size) == (128, 128)

"""What tools/train.py prints: a summary on the terminal, the whole config
and hook table in the work dir, and a config dump showing what was used."""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config

from frskd_seg.cli.console import (KNOWN_NOISE_LOGS, KNOWN_NOISE_WARNINGS,
                                   known_noise_silenced)
from tests.conftest import DEMO_CONFIG, REPO, run_python


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


def test_training_ends_with_a_summary_and_without_known_noise(trained):
    work_dir, log = trained
    tail = log[log.index('Training done: 8 iterations in'):]
    last = osp.join(work_dir, 'iter_8.pth')
    config = osp.join(work_dir, 'frskd_deeplab_r18_voc_demo.py')
    scores = re.search(r'last validation: mIoU (\d+\.\d\d), teacher/mIoU '
                       r'(\d+\.\d\d) \(teacher/: the self-teacher', tail)
    assert scores, tail
    # the numbers the last validation logged
    logged = re.findall(r'Iter\(val\) .*?mIoU: (\S+) .*?teacher/mIoU: (\S+)',
                        log)[-1]
    assert [float(v) for v in scores.groups()] == pytest.approx(
        [float(v) for v in logged], abs=0.006)
    assert f'last checkpoint: {last}' in tail
    assert f'python tools/test.py {config} {last}' in tail
    assert f'python tools/export_student.py {config} {last} OUT_DIR' in tail
    # the self-teacher's per-class table says whose it is
    assert 'per class results of the self-teacher (the teacher/ scores)' \
        in log
    for pattern in (*KNOWN_NOISE_WARNINGS,
                    *(re.escape(text) for text in KNOWN_NOISE_LOGS)):
        assert not re.search(pattern, log), pattern


def test_known_noise_is_silenced_and_other_warnings_are_not():
    import warnings
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter('always')
        with known_noise_silenced():
            warnings.warn('``build_loss`` would be deprecated soon')
            warnings.warn('Default ``avg_non_ignore`` is False, if ...')
            warnings.warn('something the user should see')
        warnings.warn('``build_loss`` would be deprecated soon')
    assert [str(w.message) for w in seen] == [
        'something the user should see',
        '``build_loss`` would be deprecated soon']


@pytest.mark.parametrize('tool', ['tools/train.py', 'tools/test.py'])
def test_a_user_error_is_one_line_and_the_traceback_is_a_switch(
        tool, synthetic_voc, tmp_path, monkeypatch):
    ckpt = tmp_path / 'iter_1.pth'  # the model fails to build before it loads
    ckpt.write_bytes(b'')
    args = [tool, DEMO_CONFIG] + ([str(ckpt)] if 'test' in tool else [])
    args += ['--work-dir', str(tmp_path), '--data-root', synthetic_voc,
             '--cfg-options', 'model.self_teacher_inputs=decoder']
    proc = run_python(*args)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr
    assert re.search(r'error: \w+: .*self_teacher_inputs.*did you mean '
                     r'.*self_teacher_input', proc.stderr), proc.stderr[-2000:]
    assert 'FRSKD_TRACEBACK=1' in proc.stderr
    monkeypatch.setenv('FRSKD_TRACEBACK', '1')
    proc = run_python(*args)
    assert proc.returncode == 1 and 'Traceback' in proc.stderr


def test_only_config_mistakes_are_one_line():
    """A deliberate config error (and a registry's KeyError for a misspelt
    type) ends the tool in one line; any other exception raised in the
    library's code is a bug and keeps its traceback."""
    from frskd_seg.cli.console import user_errors_briefly
    from frskd_seg.utils.errors import ConfigError, ConfigTypeError
    for mistake in (ConfigError('bad'), ConfigTypeError('unknown key'),
                    KeyError('NoSuchNeck is not in the mmseg::model '
                             'registry')):
        with pytest.raises(SystemExit) as exit_info:
            with user_errors_briefly():
                raise mistake
        assert exit_info.value.code == 2
    for bug in (ValueError('a shape'), TypeError('an argument'),
                KeyError('a key'), FileNotFoundError('a file of the code')):
        with pytest.raises(type(bug)):
            with user_errors_briefly():
                raise bug


def test_a_file_the_user_named_is_one_line_and_a_bugs_is_not(capsys):
    """A missing config, checkpoint or data root is the user's
    (MissingFileError); a FileNotFoundError raised by the code's own bug
    keeps its traceback."""
    from frskd_seg.cli.config_utils import check_checkpoint, load_config
    from frskd_seg.cli.console import user_errors_briefly
    for named in (lambda: load_config('no_such_config.py'),
                  lambda: check_checkpoint('nowhere/iter_1.pth', '--resume')):
        with pytest.raises(SystemExit) as exit_info:
            with user_errors_briefly():
                named()
        assert exit_info.value.code == 2
    assert 'error: MissingFileError: config file' in capsys.readouterr().err

    def buggy():
        open('/nonexistent/frskd/internal.json')

    with pytest.raises(FileNotFoundError) as raised:
        with user_errors_briefly():
            buggy()
    assert raised.traceback[-1].name == 'buggy'


def test_a_misspelt_top_level_type_names_the_type_meant(capsys):
    from frskd_seg.cli.console import user_errors_briefly
    with pytest.raises(SystemExit):
        with user_errors_briefly():
            raise KeyError('EncoderDecodr is not in the mmseg::model '
                           'registry. Please check whether the value of '
                           '`EncoderDecodr` is correct')
    assert ("error: ConfigTypeError: type 'EncoderDecodr' is not registered "
            "in mmseg's model registry: did you mean 'EncoderDecoder'?"
            ) in capsys.readouterr().err


def test_the_environment_record_is_one_line_on_the_terminal():
    from frskd_seg.cli.console import environment_header
    record = ('\n' + '-' * 60 + '\nSystem environment:\n    sys.platform: '
              'linux\n    Python: 3.11.7 (main, Dec  1 2026) [GCC 11.4]\n'
              '    CUDA available: False\n    PyTorch: 2.13.0+cpu\n'
              '    PyTorch compiling details: PyTorch built with:\n'
              '  - Build settings: BLAS_INFO=mkl, ...\n    MMEngine: 0.10.7\n'
              '\nRuntime environment:\n    cudnn_benchmark: False\n'
              "    dist_cfg: {'backend': 'nccl'}\n    seed: 0\n"
              '    Distributed launcher: none\n    GPU number: 1\n')
    assert environment_header(record) == (
        'Environment: Python 3.11.7, PyTorch 2.13.0+cpu, MMEngine 0.10.7, '
        'CPU, seed 0, launcher none (the whole record: in the log file)')
    gpu = record.replace('CUDA available: False', 'CUDA available: True\n'
                         '    GPU 0,1: NVIDIA H200')
    assert 'CUDA (GPU 0,1: NVIDIA H200)' in environment_header(gpu)
    ddp = gpu.replace('launcher: none', 'launcher: pytorch\n'
                      '    Distributed training: True').replace(
                          'GPU number: 1', 'GPU number: 2')
    assert 'launcher pytorch, distributed over 2 processes' in \
        environment_header(ddp)


def test_the_summary_names_the_commands_that_exist_here(tmp_path,
                                                        monkeypatch):
    from frskd_seg.cli.console import tool_command
    monkeypatch.chdir(REPO)  # a checkout: its tools/
    assert tool_command('test') == 'python tools/test.py'
    assert tool_command('export') == 'python tools/export_student.py'
    monkeypatch.chdir(tmp_path)  # elsewhere: the installed package
    assert tool_command('test') == 'python -m frskd_seg.cli.test'
    assert tool_command('export') == 'python -m frskd_seg.cli.export'

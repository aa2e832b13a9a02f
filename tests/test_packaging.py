"""frskd_seg as a package: built into a wheel and installed (not editable)
into a folder of its own, it serves a user's project in another directory --
the two lines on an mmseg:: config retargeted to VOC07+12, a short training
through the package's entry point and an export -- without the checkout's
tools/, configs/ or studies/ (the study instrument is not in the wheel)."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import textwrap

from tests.conftest import REPO

USER_SCRIPT = '''
import glob, os, os.path as osp, subprocess, sys
import frskd_seg
assert frskd_seg.__file__.startswith(os.environ['SITE']), frskd_seg.__file__
from mmengine.config import Config
import mmseg
from frskd_seg.apis import export_student
from frskd_seg.datasets.retarget import write_voc0712_config

data = os.environ['DATA']
src = 'deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py'
configs = osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs')
write_voc0712_config(osp.join(configs, src), 'voc_r18.py', data,
                     base='mmseg::' + src)
with open('frskd_r18.py', 'w') as f:
    f.write(USER_CONFIG)
cmd = [sys.executable, '-m', 'frskd_seg.cli.train', 'frskd_r18.py',
       '--work-dir', 'run', '--crop', '64',
       '--cfg-options', 'train_cfg.max_iters=2',
       'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2']
trained = subprocess.run(cmd, check=True, capture_output=True, text=True)
assert osp.isfile('run/iter_2.pth')
# no tools/ here: the summary names the package's commands
log = trained.stdout + trained.stderr
assert 'test:   python -m frskd_seg.cli.test' in log, log[-2000:]
exported = subprocess.run(
    [sys.executable, '-m', 'frskd_seg.cli.export', 'frskd_r18.py',
     'run/iter_2.pth', 'exported_cli'], check=True, capture_output=True,
    text=True)
assert 'checkpoint: exported_cli' in exported.stdout
cfg_path, ckpt_path = export_student('frskd_r18.py', 'run/iter_2.pth',
                                     'exported')
assert Config.fromfile(cfg_path).model.type == 'EncoderDecoder'
print('USER PROJECT OK')
'''

USER_CONFIG = '''
# a user's config: the two lines on an mmseg config retargeted to VOC07+12
_base_ = './voc_r18.py'
custom_imports = dict(imports=['frskd_seg'], allow_failed_imports=False)
model = dict(type='FRSKDEncoderDecoder',
             self_teacher=dict(type='SelfTeacherNeck'),
             pretrained=None)  # offline: no ImageNet weights
train_dataloader = dict(batch_size=2, num_workers=0,
                        persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
'''


def test_installed_package_serves_a_project_elsewhere(tmp_path,
                                                      synthetic_voc):
    # build from a copy of the checkout, its editable .mim symlink included:
    # building and installing leave the source tree as it was
    src = tmp_path / 'src'
    for name in ('frskd_seg', 'configs', 'requirements'):
        shutil.copytree(osp.join(REPO, name), src / name, symlinks=True,
                        ignore=shutil.ignore_patterns('__pycache__'))
    for name in ('setup.py', 'README.md'):
        shutil.copy(osp.join(REPO, name), src / name)
    mim = src / 'frskd_seg' / '.mim' / 'configs'
    if not mim.is_symlink():
        mim.parent.mkdir(exist_ok=True)
        mim.symlink_to(osp.join('..', '..', 'configs'))
    before = sorted(str(p) for p in src.rglob('*'))
    pip = [sys.executable, '-m', 'pip', '-q']
    scratch = tmp_path / 'tmp'  # $TMPDIR of the build
    scratch.mkdir()
    build_env = dict(os.environ, TMPDIR=str(scratch))
    subprocess.run([*pip, 'wheel', '--no-deps', '--no-build-isolation',
                    '-w', str(tmp_path / 'wheel'), str(src)], check=True,
                   env=build_env)
    subprocess.run([sys.executable, 'setup.py', '-q', 'egg_info'],
                   cwd=src, check=True, env=build_env, capture_output=True)
    # building leaves the source tree as it was, and nothing of its own in
    # $TMPDIR
    assert sorted(str(p) for p in src.rglob('*')) == before
    assert not list(scratch.glob('frskd-seg-*'))
    assert mim.is_symlink()
    [wheel] = os.listdir(tmp_path / 'wheel')
    site = tmp_path / 'site'
    subprocess.run([*pip, 'install', '--no-deps', '--target', str(site),
                    str(tmp_path / 'wheel' / wheel)], check=True)
    assert (site / 'frskd_seg' / '.mim' / 'configs' / '_base_' / 'datasets'
            / 'voc0712.py').is_file()
    assert not (site / 'studies').exists()
    assert not (site / 'frskd_seg' / 'study').exists()
    project = tmp_path / 'project'
    project.mkdir()
    script = (f'USER_CONFIG = {USER_CONFIG!r}\n' +
              textwrap.dedent(USER_SCRIPT))
    env = dict(os.environ, PYTHONPATH=str(site), SITE=str(site),
               DATA=synthetic_voc, OMP_NUM_THREADS='1',
               PYTHONWARNINGS='ignore')
    out = subprocess.run([sys.executable, '-c', script], cwd=project,
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert 'USER PROJECT OK' in out.stdout

"""Install frskd-seg. Dependencies are pinned in requirements/; see tools/setup_env.sh
for the install order the OpenMMLab stack needs (torch, then mmcv with ops)."""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def add_mim_extension():
    """Ship ``configs/`` inside the package as ``frskd_seg/.mim/configs``
    (OpenMMLab's layout: mmseg's own configs live in ``mmseg/.mim``), so an
    installed frskd_seg finds its VOC07+12 data-set config and users can
    read the shipped configs: a symlink for editable installs, a copy for
    wheels."""
    src = osp.join(HERE, 'configs')
    dst = osp.join(HERE, 'frskd_seg', '.mim', 'configs')
    if not osp.isdir(src):  # building from an sdist that already has it
        return
    editable = any(a in sys.argv for a in ('develop', 'editable_wheel'))
    if osp.islink(dst) or osp.isfile(dst):
        os.remove(dst)
    elif osp.isdir(dst):
        shutil.rmtree(dst)
    os.makedirs(osp.dirname(dst), exist_ok=True)
    if editable:
        os.symlink(osp.relpath(src, osp.dirname(dst)), dst)
    else:
        shutil.copytree(src, dst)


def read_version():
    namespace = {}
    with open(osp.join(osp.dirname(__file__), 'frskd_seg', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def read_requirements(name):
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f
                if line.split('#')[0].strip()]


add_mim_extension()
setup(
    name='frskd-seg',
    version=read_version(),
    description='FRSKD (Feature Refinement via Self-Knowledge Distillation) '
    'for semantic segmentation, as an MMSegmentation 1.x extension',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['frskd_seg', 'frskd_seg.*']),
    package_data={'frskd_seg': ['.mim/configs/*.py', '.mim/configs/*/*.py',
                                '.mim/configs/*/*/*.py']},
    python_requires='>=3.11',
    install_requires=read_requirements('runtime.txt') + ['mmcv>=2.0.0rc4,<2.2.0'],
    extras_require={'tests': read_requirements('tests.txt')},
    zip_safe=False,
)

"""Install frskd-seg. Dependencies are pinned in requirements/; see tools/setup_env.sh
for the install order the OpenMMLab stack needs (torch, then mmcv with ops)."""
import atexit
import os
import os.path as osp
import shutil
import sys
import tempfile

from setuptools import find_packages, setup
from setuptools.command.build import build
from setuptools.command.build_py import build_py
from setuptools.command.egg_info import egg_info

HERE = osp.dirname(osp.abspath(__file__))
#: whether this is an editable install (it reads the checkout in place)
EDITABLE = any(a in sys.argv for a in ('develop', 'editable_wheel'))


def link_mim_configs():
    """An editable install reads ``configs/`` through the package as
    ``frskd_seg/.mim/configs`` (OpenMMLab's layout: mmseg's own configs
    live in ``mmseg/.mim``): a symlink, kept in the checkout."""
    dst = osp.join(HERE, 'frskd_seg', '.mim', 'configs')
    if osp.islink(dst) or not osp.isdir(osp.join(HERE, 'configs')):
        return
    if osp.isdir(dst):  # a copy an older setup.py left in the checkout
        shutil.rmtree(dst)
    os.makedirs(osp.dirname(dst), exist_ok=True)
    os.symlink(osp.relpath(osp.join(HERE, 'configs'), osp.dirname(dst)), dst)


def scratch_dir(prefix: str) -> str:
    """A temporary folder removed when setup.py exits (pip reads what it
    needs from its own output folders, never from these)."""
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


class BuildWithConfigs(build_py):
    """A wheel ships ``configs/`` as ``frskd_seg/.mim/configs`` -- copied
    into the build folder, the checkout left as it is."""

    def run(self):
        super().run()
        src = osp.join(HERE, 'configs')
        if osp.isdir(src):  # an sdist without configs/ ships its copy
            dst = osp.join(self.build_lib, 'frskd_seg', '.mim', 'configs')
            if osp.islink(dst) or osp.isfile(dst):
                os.remove(dst)
            elif osp.isdir(dst):
                shutil.rmtree(dst)
            shutil.copytree(src, dst)


class BuildElsewhere(build):
    """Build in a temporary folder, not ``build/`` in the checkout:
    installing does not change the source tree, and leaves nothing in
    ``$TMPDIR``."""

    def initialize_options(self):
        super().initialize_options()
        self.build_base = scratch_dir('frskd-seg-build-')


class EggInfoElsewhere(egg_info):
    """The build's metadata in a temporary folder too, unless an editable
    install (which reads it from the checkout) asks for it there."""

    def initialize_options(self):
        super().initialize_options()
        if not EDITABLE:
            self.egg_base = scratch_dir('frskd-seg-egg-')


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


if EDITABLE:
    link_mim_configs()
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
    cmdclass=dict(build_py=BuildWithConfigs, build=BuildElsewhere,
                  egg_info=EggInfoElsewhere),
    entry_points=dict(console_scripts=[
        'frskd-train=frskd_seg.cli.train:main',
        'frskd-test=frskd_seg.cli.test:main',
        'frskd-export=frskd_seg.cli.export:main',
    ]),
)

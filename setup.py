"""Install frskd-seg. Dependencies are pinned in requirements/; see tools/setup_env.sh
for the install order the OpenMMLab stack needs (torch, then mmcv with ops)."""
import os.path as osp

from setuptools import find_packages, setup


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


setup(
    name='frskd-seg',
    version=read_version(),
    description='FRSKD (Feature Refinement via Self-Knowledge Distillation) '
    'for semantic segmentation, as an MMSegmentation 1.x extension',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['frskd_seg', 'frskd_seg.*']),
    python_requires='>=3.8',
    install_requires=read_requirements('runtime.txt') + ['mmcv>=2.0.0rc4,<2.2.0'],
    extras_require={'tests': read_requirements('tests.txt')},
    zip_safe=False,
)

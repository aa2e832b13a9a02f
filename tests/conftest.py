"""Fixtures shared by the whole suite: the tiny demo model's config, a built
FRSKD model and its data samples, and a small synthetic VOC data set."""
import copy
import functools
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.structures import PixelData

import frskd_seg  # noqa: F401
from frskd_seg.datasets import SplitSizes, make_synthetic_voc0712
from frskd_seg.visualization import load_scalars
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import register_all_modules
from tests.fork_server import ForkServer
from tests.unformatted_configs.sitecustomize import SWITCH, skip_yapf

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIG = osp.join(REPO, 'configs', 'demo',
                       'frskd_deeplab_r18_voc_demo.py')
DEMO_BASELINE_CONFIG = osp.join(REPO, 'configs', 'demo',
                                'deeplab_r18_voc_demo.py')

register_all_modules(init_default_scope=True)

# configs dumped unformatted, in this process and every process it starts
# (unformatted_configs/sitecustomize.py says why)
_UNFORMATTED = osp.join(osp.dirname(osp.abspath(__file__)),
                        'unformatted_configs')
os.environ['PYTHONPATH'] = os.pathsep.join(
    p for p in (_UNFORMATTED, os.environ.get('PYTHONPATH')) if p)
os.environ[SWITCH] = '1'
skip_yapf()

if os.environ.get('PYTEST_XDIST_WORKER'):
    # `make test` runs two pytest workers on two cores: one thread each (and
    # in the tools they start), since oversubscribed threads slow both down
    # many times over
    os.environ['OMP_NUM_THREADS'] = '1'
    torch.set_num_threads(1)

#: device parameter of tests that must also pass on a GPU host
DEVICES = [
    pytest.param('cpu'),
    pytest.param('cuda', marks=pytest.mark.skipif(
        not torch.cuda.is_available(), reason='needs CUDA'))
]


@functools.lru_cache(maxsize=None)
def _parsed_config(path):
    return Config.fromfile(path)


def load_config(path):
    """``Config.fromfile(path)``, parsed once per session (parsing a config
    with ``_base_`` files takes most of a second) and copied per call."""
    return copy.deepcopy(_parsed_config(path))


def build_model(model_cfg):
    """Build a segmentor from a config (a ConfigDict: mmseg's inference
    reads ``test_cfg.mode`` as an attribute)."""
    return MODELS.build(Config(dict(model=copy.deepcopy(model_cfg))).model)


def mmseg_config(rel: str) -> str:
    """The path of one of the configs mmseg ships (``mmseg/.mim/configs``),
    ``rel`` relative to that folder."""
    import mmseg
    return osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs', rel)


def two_line_config(path: str) -> Config:
    """The README's two lines on the mmseg config ``path``: its model with
    the FRSKD segmentor of its type and a ``SelfTeacherNeck``; no
    pretrained weights (nothing can be downloaded here)."""
    from frskd_seg.models.segmentors import STUDENT_TYPES
    cfg = Config.fromfile(path)
    frskd_types = {plain: frskd for frskd, plain in STUDENT_TYPES.items()}
    cfg.model.type = frskd_types[cfg.model.type]
    cfg.model.self_teacher = dict(type='SelfTeacherNeck')
    return cfg


def build_cpu_model(model_cfg, seed=0):
    """``build_model`` without pretrained weights, initialised from
    ``seed``, with BN for SyncBN (one CPU process)."""
    from mmengine.model import revert_sync_batchnorm

    from frskd_seg.apis.export_student import drop_pretrained
    model_cfg = copy.deepcopy(model_cfg)
    drop_pretrained(model_cfg)
    torch.manual_seed(seed)
    model = build_model(model_cfg)
    model.init_weights()
    return revert_sync_batchnorm(model)


def mmseg_batch(num_classes, size, batch_size=2, seed=0):
    """A square synthetic batch with PIDNet's boundary labels and no ignored
    pixels (class-weighted CE indexes its weights with the labels)."""
    from frskd_seg.analysis.benchmark import synthetic_batch
    return synthetic_batch(batch_size, (size, size), num_classes, 'cpu',
                           seed, ignore_rows=0, edge_map=True)


@pytest.fixture
def tiny_frskd_cfg():
    """The CPU demo's FRSKD model config with the self-teacher on the
    backbone levels (the classification code's placement): a narrow
    self-teacher (widths 4, 8, 16, 32), a 16-channel copy of the ASPP head
    as its head, its CE reaching the student, both distillation terms (the
    official KL switched on) at constant weights, student-only prediction."""
    cfg = load_config(DEMO_CONFIG).model
    cfg.self_teacher_input = 'backbone'
    cfg.teacher_grad_scale = 1.0
    cfg.self_teacher.in_channels = [16, 32, 64, 128]
    cfg.self_teacher.width_ratio = 0.25
    cfg.teacher_head = dict(channels=16)
    cfg.evaluate_teacher = False
    cfg.loss_kd = dict(type='PixelKLDivLoss')
    cfg.distill_schedule = dict(type='DistillSchedule')
    return cfg


@pytest.fixture
def tiny_decoder_cfg():
    """The CPU demo's FRSKD model config downstream of the decoder (it reads
    F1..F3 and the ASPP head's 32-channel map) with the segmentor's default
    head (a 1x1 classifier on T1), its CE reaching the student, widths 4, 8,
    16, 8 and both distillation terms (the official KL switched on) at
    constant weights."""
    cfg = load_config(DEMO_CONFIG).model
    assert cfg.get('self_teacher_input', 'decoder') == 'decoder'
    cfg.teacher_head = None
    cfg.teacher_grad_scale = 1.0
    cfg.self_teacher.width_ratio = 0.25
    cfg.loss_kd = dict(type='PixelKLDivLoss')
    cfg.distill_schedule = dict(type='DistillSchedule')
    return cfg


@pytest.fixture
def tiny_baseline_cfg():
    return load_config(DEMO_BASELINE_CONFIG).model


def make_batch(batch_size=2, size=64, num_classes=21, seed=0):
    """Random images (B, 3, H, W) in [0, 255] and data samples with labels
    (incl. 255 pixels), as mmseg's data preprocessor would hand them over."""
    g = torch.Generator().manual_seed(seed)
    inputs = torch.rand(batch_size, 3, size, size, generator=g) * 255
    samples = []
    for _ in range(batch_size):
        label = torch.randint(0, num_classes, (1, size, size), generator=g)
        label[:, :4] = 255
        sample = SegDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                pad_shape=(size, size),
                padding_size=[0, 0, 0, 0]))
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return inputs, samples


@pytest.fixture
def batch():
    return make_batch()


@pytest.fixture(autouse=True)
def run_length():
    """Model-level tests run as inside a training loop of 2000 iterations
    (the length a fractional distillation schedule resolves against; mmengine
    sets it in ``before_train``)."""
    hub = MessageHub.get_current_instance()
    before = hub.get_info('max_iters', None)
    hub.update_info('max_iters', 2000)
    yield
    hub.update_info('max_iters', before)


@pytest.fixture
def message_hub():
    """The current MessageHub, with 'iter', 'epoch' and 'max_epochs'
    restored afterwards (and 'max_iters' by :func:`run_length`)."""
    hub = MessageHub.get_current_instance()
    before = {k: hub.get_info(k, None) for k in ('iter', 'epoch')}
    max_epochs = hub.get_info('max_epochs', None)
    yield hub
    for key, value in before.items():
        hub.update_info(key, 0 if value is None else value)
    hub.update_info('max_epochs', max_epochs)


@pytest.fixture(scope='session')
def synthetic_voc(tmp_path_factory):
    """A small VOC2007+2012-layout data set (VOCdevkit-like root)."""
    root = str(tmp_path_factory.mktemp('voc') / 'VOCdevkit')
    make_synthetic_voc0712(
        root,
        SplitSizes(voc07_train=4, voc07_val=4, voc07_test=4, voc12_train=6,
                   voc12_val=2),
        image_size=(72, 96),
        seed=1)
    return root


#: --cfg-options for an 8-iteration run of the demo config
SHORT_RUN = [
    'train_cfg.max_iters=8', 'train_cfg.val_interval=8',
    'default_hooks.checkpoint.interval=4', 'default_hooks.logger.interval=2',
    'model.distill_schedule.warmup=4', 'model.distill_schedule.rampup=4',
    # no loader worker processes: each costs seconds to start and stop
    *(f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader',
                                       'test_dataloader')
      for key in ('num_workers=0', 'persistent_workers=False'))
]


_FORK_SERVER = ForkServer()


def pytest_sessionfinish(session):
    _FORK_SERVER.close()


#: how long a subprocess of the suite may run before it counts as hung: far
#: above what any load makes of these runs (seconds to a few minutes alone)
HANG_TIMEOUT = 3600


def run_python(*args, cwd=REPO, cpu_only=True, timeout=HANG_TIMEOUT):
    """``python *args`` (a script and its arguments) as a user runs it, from
    this worker's fork server (:mod:`tests.fork_server`: the same process,
    minus ~5 s of third-party imports); a ``CompletedProcess`` with text
    ``stdout`` and ``stderr``. The suite is a CPU suite: ``cpu_only`` hides
    the GPUs of a GPU host (their paths are tools/gpu_smoke.py's and the
    ``DEVICES`` tests')."""
    env = dict(os.environ)
    if cpu_only:
        env['CUDA_VISIBLE_DEVICES'] = ''
    return _FORK_SERVER.run(args, cwd, env, timeout)


def run_tool(*args, cwd=REPO, cpu_only=True):
    """:func:`run_python` that must succeed; returns stdout + stderr."""
    proc = run_python(*args, cwd=cwd, cpu_only=cpu_only)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def logged_scalars(work_dir, key):
    """``{iteration: value}`` of a training scalar (e.g. ``'loss'``) logged
    by the runs in ``work_dir`` (a resumed run's entries win)."""
    train, _ = load_scalars(work_dir)
    return {r['iter']: r[key] for r in train if key in r}


@pytest.fixture(scope='session')
def trained(tmp_path_factory, synthetic_voc):
    """(work_dir, log) of tools/train.py: 8 iterations of the demo config on
    the synthetic data set, checkpoints at 4 and 8."""
    work_dir = str(tmp_path_factory.mktemp('work'))
    log = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', work_dir,
                   '--data-root', synthetic_voc, '--cfg-options', *SHORT_RUN)
    return work_dir, log


#: the longest test files, longest first (seconds in one `make test`):
#: `make test` (``--dist loadfile --no-loadscope-reorder``: each file, with
#: its module and session fixtures, on one of two workers) hands them out
#: first, so the short files fill the gaps at the end instead of one long
#: file running alone
LONG_FILES = ('test_packaging.py', 'test_recipe_check.py',
              'test_gpu_smoke.py', 'test_distributed.py',
              'test_two_line_recipe.py',
              'test_configs.py', 'test_zoo_configs.py',
              'test_graceful_stop_hook.py',
              'test_rng_state_hook.py', 'test_student_families.py',
              'test_train_test.py', 'test_epoch_based_training.py',
              'test_gain_study.py', 'test_paper_configs.py',
              'test_visualization.py', 'test_non_finite_loss_hook.py',
              'test_cli.py')


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.nodeid.split('::')[0].rsplit('/', 1)[-1]
        return LONG_FILES.index(name) if name in LONG_FILES else len(
            LONG_FILES)

    items.sort(key=rank)  # stable: files keep their own order

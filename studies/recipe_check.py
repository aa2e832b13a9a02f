"""The two-line recipe on mmseg's own configs: does each one build, train a
step and predict like its plain twin (``tools/check_recipe.py``)?"""
import copy
import glob
import hashlib
import json
import logging
import os
import os.path as osp
import signal
import tempfile
import time
import traceback
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Callable, Dict, Iterable, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.model import revert_sync_batchnorm

from frskd_seg.models.segmentors import (STUDENT_TYPES,
                                         UnsupportedStudentError)
from mmseg.registry import MODELS
from frskd_seg.analysis.benchmark import synthetic_batch
from frskd_seg.apis.export_student import drop_pretrained

#: what a config's check ended in
WORKS, REFUSED, FAILS, UNAVAILABLE = 'works', 'refused', 'fails', \
    'unavailable'
#: the recipe a user writes (the README's two lines), for an mmseg config
RECIPE = '''_base_ = {base!r}
custom_imports = dict(imports=['frskd_seg'], allow_failed_imports=False)
model = dict(type={frskd_type!r}, self_teacher=dict(type='SelfTeacherNeck'))
'''
#: image sizes tried, smallest first, until the plain model runs
SIZES = (64, 128, 256)


def mmseg_config_dir() -> str:
    """The configs mmseg ships (``mmseg/.mim/configs``)."""
    import mmseg
    return osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs')


def list_configs(pattern: Optional[str] = None) -> List[str]:
    """mmseg's model configs (not ``_base_``), sorted; ``pattern`` a glob
    relative to its config folder (e.g. ``'danet/*.py'``)."""
    root = mmseg_config_dir()
    paths = glob.glob(osp.join(root, pattern or '*/*.py'))
    return sorted(p for p in paths
                  if '_base_' not in osp.relpath(p, root).split(os.sep))


def frskd_type(plain_type: str) -> Optional[str]:
    """The FRSKD segmentor for an mmseg segmentor type (None: none)."""
    for frskd, plain in STUDENT_TYPES.items():
        if plain == plain_type:
            return frskd
    return None


@dataclass
class CheckResult:
    """One config's check."""
    config: str
    status: str = FAILS
    segmentor: str = ''
    head: str = ''
    backbone: str = ''
    size: int = 0
    seconds: float = 0.0
    message: str = ''


def _types(model: dict):
    heads = model.get('decode_head')
    heads = heads if isinstance(heads, (list, tuple)) else [heads]
    return ('+'.join(str(h.get('type')) for h in heads if h),
            str(model.get('backbone', {}).get('type')))


def without_pretrained(model: dict) -> dict:
    """A copy of ``model`` without pretrained weights anywhere (nothing can
    be downloaded)."""
    model = copy.deepcopy(model)
    drop_pretrained(model)
    return model


def make_batch(num_classes: int, size: int, batch_size: int = 2,
               seed: int = 0):
    """A square batch of :func:`synthetic_batch`, with ``gt_edge_map``
    (PIDNet's boundary labels) and no ignored (255) pixels: some mmseg
    losses (class-weighted CE) index their weights with the labels."""
    return synthetic_batch(batch_size, (size, size), num_classes, 'cpu',
                           seed, ignore_rows=0, edge_map=True)


def build_cpu_model(model_cfg: dict, seed: int = 0, init: bool = True):
    """The model of ``model_cfg``, initialised from ``seed`` (its
    ``init_weights``, unless ``init`` is False: PyTorch's defaults), with BN
    for SyncBN (one CPU process)."""
    torch.manual_seed(seed)
    model = MODELS.build(Config(dict(model=model_cfg)).model)
    if init:
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.WARNING)  # init_weights logs every parameter
        try:
            model.init_weights()
        finally:
            logger.setLevel(level)
    return revert_sync_batchnorm(model)


def at_size(model_cfg: dict, size: int) -> dict:
    """``model_cfg`` whose data preprocessor pads to ``size`` x ``size``:
    the size the FRSKD build measures the student at (its probe forward),
    so a check at a small size builds at that size too (size 0: the
    config's own)."""
    model_cfg = copy.deepcopy(model_cfg)
    if size and model_cfg.get('data_preprocessor') is not None:
        model_cfg['data_preprocessor']['size'] = (size, size)
    return model_cfg


def train_step_and_predict(model, num_classes: int, size: int):
    """One training step's losses (backward run) and the prediction's
    logits of one image."""
    model.train()
    # one step of a one-step run: a schedule given as fractions of the run
    # (the recipe's default) distils in it
    MessageHub.get_current_instance().update_info('max_iters', 1)
    losses = model.loss(*make_batch(num_classes, size))
    loss, _ = model.parse_losses(losses)
    if not torch.isfinite(loss):
        raise FloatingPointError(f'the training loss is {float(loss)}')
    loss.backward()
    model.eval()
    with torch.no_grad():
        # seeded: some heads draw at inference (SegNeXt's Hamburger bases)
        torch.manual_seed(1)
        out = model.predict(*make_batch(num_classes, size, batch_size=1,
                                        seed=1))
    return out[0].seg_logits.data


@contextmanager
def time_limit(seconds: int):
    """TimeoutError after ``seconds`` (main thread, Unix)."""

    def expire(*_):
        raise TimeoutError(f'over the {seconds} s limit')

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _error(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1:]
    where = f' ({osp.basename(frame[0].filename)}:{frame[0].lineno})' \
        if frame else ''
    return f'{type(exc).__name__}: {exc}'.strip()[:600] + where


def recipe_model_cfg(path: str, base: Optional[Config] = None) -> Config:
    """The config a user gets by writing the two-line recipe on ``path``
    (the FRSKD segmentor type follows the segmentor of ``base``, the
    config of ``path``, read when not given)."""
    base = base if base is not None else Config.fromfile(path)
    ftype = frskd_type(base.model.get('type'))
    with tempfile.TemporaryDirectory() as tmp:
        recipe = osp.join(tmp, 'frskd_recipe.py')
        with open(recipe, 'w') as f:
            f.write(RECIPE.format(base=path, frskd_type=ftype))
        return Config.fromfile(recipe)


def check_config(path: str, sizes=SIZES, twin: bool = True) -> CheckResult:
    """Apply the two-line recipe to the mmseg config ``path``, build it on
    the CPU (BN for SyncBN, no pretrained weights) and run one training
    step and one prediction at the smallest size of ``sizes`` (then the
    config's crop) the plain model runs at; the FRSKD model must predict
    exactly like the plain model holding its student weights.

    ``unavailable``: the plain model does not run here either (e.g. a
    backbone from a package not installed). ``refused``: the FRSKD model
    refused the student at build (:class:`UnsupportedStudentError`).
    ``twin=False``: the FRSKD model alone, without ``init_weights``, at
    ``sizes[0]`` (CI's sample).
    """
    start = time.perf_counter()
    result = CheckResult(config=path)
    try:
        try:
            base = Config.fromfile(path)
        except ImportError as exc:  # custom_imports of a missing package
            result.status, result.message = UNAVAILABLE, _error(exc)
            return result
        model = base.model.to_dict()
        result.segmentor = str(model.get('type'))
        result.head, result.backbone = _types(model)
        if frskd_type(result.segmentor) is None:  # SAN, VPD, ...
            result.status = UNAVAILABLE
            result.message = (f'segmentor {result.segmentor}: not one the '
                              'recipe applies to')
            return result
        plain_cfg = without_pretrained(model)
        frskd_cfg = without_pretrained(
            recipe_model_cfg(path, base).model.to_dict())
        heads = plain_cfg['decode_head']
        last = heads[-1] if isinstance(heads, list) else heads
        num_classes = int(last.get('num_classes', 2))
        # a refusal comes first, at build, whatever else the model needs
        frskd = build_error = None
        try:
            frskd = build_cpu_model(at_size(frskd_cfg, sizes[0]), init=twin)
        except UnsupportedStudentError as exc:
            result.status, result.message = REFUSED, str(exc)
            return result
        except TimeoutError:
            raise
        except Exception as exc:  # noqa: BLE001 -- unless the plain one too
            build_error = exc
        if not twin:
            if build_error is not None:
                raise build_error
            train_step_and_predict(frskd, num_classes, sizes[0])
            result.status, result.size = WORKS, sizes[0]
            return result
        plain_error = None
        # models with fixed position tables (BEiT, MAE) run at their crop
        crop = (model.get('data_preprocessor') or {}).get('size')
        for size in [*sizes, *([max(crop)] if crop else [])]:
            try:
                plain = build_cpu_model(plain_cfg)
                train_step_and_predict(plain, num_classes, size)
                result.size, plain_error = size, None
                break
            except TimeoutError:
                raise
            except Exception as exc:  # noqa: BLE001 -- recorded
                plain_error = exc
        if plain_error is not None:
            result.status = UNAVAILABLE
            result.message = 'the plain model fails too: ' + _error(
                plain_error)
            return result
        if build_error is not None or result.size != sizes[0]:
            # measured at the size the plain model runs at (BEiT, MAE)
            frskd = build_cpu_model(at_size(frskd_cfg, result.size))
        logits = train_step_and_predict(frskd, num_classes, result.size)
        # the FRSKD model's BN statistics moved in its step: compare with
        # the plain model holding exactly its state (the probed plain model,
        # every weight and statistic replaced)
        plain.load_state_dict(frskd.student_state_dict())
        plain.eval()
        with torch.no_grad():
            torch.manual_seed(1)
            expected = plain.predict(*make_batch(
                num_classes, result.size, batch_size=1, seed=1))
        if not torch.equal(logits, expected[0].seg_logits.data):
            raise AssertionError('the FRSKD model does not predict like the '
                                 'plain model holding its student weights')
        result.status = WORKS
    except Exception as exc:  # noqa: BLE001 -- a failure is a result
        result.status, result.message = FAILS, _error(exc)
    finally:
        result.seconds = round(time.perf_counter() - start, 2)
    return result


def model_key(path: str) -> str:
    """Configs with the same model (after the recipe) share their result."""
    model = Config.fromfile(path).model.to_dict()
    text = json.dumps(model, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def run_checks(paths: Iterable[str], results_file: str,
               timeout: int = 1800,
               echo: Callable[[str], None] = print) -> List[CheckResult]:
    """Check every config, appending each result to ``results_file`` (JSON
    lines) as it comes: configs already there are skipped (resumable), and
    configs whose model equals a checked one's reuse its result."""
    done: Dict[str, dict] = {}
    if osp.isfile(results_file):
        with open(results_file) as f:
            for line in f:
                if line.strip():
                    record = json.loads(line)
                    done[record['config']] = record
    by_key = {r['key']: r for r in done.values() if r.get('key')}
    paths = list(paths)
    results = []
    for n, path in enumerate(paths, 1):
        rel = osp.relpath(path, mmseg_config_dir())
        if rel in done:
            results.append(_from_record(done[rel]))
            continue
        try:
            key = model_key(path)
        except Exception:  # noqa: BLE001 -- check_config reports it
            key = ''
        if key and key in by_key:
            record = dict(by_key[key], config=rel, reused=True)
        else:
            torch.manual_seed(0)
            with time_limit(timeout):
                try:
                    result = check_config(path)
                except TimeoutError as exc:
                    result = CheckResult(config=path, status=FAILS,
                                         message=str(exc))
            record = dict(asdict(result), config=rel, key=key)
            by_key[key] = record
        with open(results_file, 'a') as f:
            f.write(json.dumps(record) + '\n')
        results.append(_from_record(record))
        echo(f'[{n}/{len(paths)}] {record["status"]:<11} {rel}'
             + (f' ({record["seconds"]} s)' if not record.get('reused')
                else ' (same model as a checked config)'))
    return results


def _from_record(record: dict) -> CheckResult:
    fields = CheckResult.__dataclass_fields__
    return CheckResult(**{k: v for k, v in record.items() if k in fields})

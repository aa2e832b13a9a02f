"""What the self-teacher taught, for one image: spatial attention maps a(f)
(docs/method.md, Losses) of the student's features F_i and the refined T_i,
per level,
and both networks' predictions -- the paper's qualitative figure."""
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.dataset import Compose  # noqa: E402
from mmengine.visualization import Visualizer  # noqa: E402

from frskd_seg.models.losses import spatial_attention  # noqa: E402


@dataclass
class AttentionMaps:
    """For one image: ``image`` (H, W, 3) RGB uint8 as the network saw it,
    ``student``/``teacher`` lists of (h_i, w_i) attention maps,
    ``student_pred``/``teacher_pred`` (H, W) class indices and ``gt`` (H, W)
    the ground truth's (255: void), when given."""
    image: np.ndarray
    student: List[np.ndarray]
    teacher: List[np.ndarray]
    student_pred: np.ndarray
    teacher_pred: np.ndarray
    gt: Optional[np.ndarray] = None


def _test_pipeline(cfg, with_labels: bool) -> Compose:
    # the config's test pipeline; its annotation loading only with labels
    steps = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if with_labels or t['type'] != 'LoadAnnotations'
    ]
    return Compose(steps)


def voc_ground_truth(image_path: str) -> Optional[str]:
    """The VOC-layout label of an image (``.../JPEGImages/x.jpg`` ->
    ``.../SegmentationClass/x.png``), or None when there is none."""
    folder, name = osp.split(image_path)
    path = osp.join(osp.dirname(folder), 'SegmentationClass',
                    osp.splitext(name)[0] + '.png')
    return path if osp.isfile(path) else None


@torch.no_grad()
def compute_attention_maps(model, image_path: str,
                           gt_path: Optional[str] = None) -> AttentionMaps:
    """Run ``model`` (an :class:`FRSKDEncoderDecoder` from
    ``mmseg.apis.init_model``) on one image file, student and self-teacher;
    with ``gt_path`` (a label PNG), its labels as the network's input
    size."""
    if not hasattr(model, 'self_teacher'):
        raise TypeError('attention maps need an FRSKD model (with a '
                        f'self_teacher), got {type(model).__name__}')
    model.eval()
    sample = dict(img_path=image_path)
    if gt_path is not None:
        sample.update(seg_map_path=gt_path, reduce_zero_label=False,
                      seg_fields=[])
    data = _test_pipeline(model.cfg, gt_path is not None)(sample)
    batch = model.data_preprocessor(
        dict(inputs=[data['inputs']], data_samples=[data['data_samples']]),
        False)
    inputs = batch['inputs']
    student_logits, reads = model.student_forward(model.extract_feat(inputs))
    refined = model.self_teacher(reads)
    size = data['inputs'].shape[1:]

    def pred(logits):
        logits = F.interpolate(logits, size=inputs.shape[2:], mode='bilinear',
                               align_corners=False)[..., :size[0], :size[1]]
        return logits.argmax(1)[0].cpu().numpy().astype(np.uint8)

    def maps(levels):
        return [
            spatial_attention(f).view(f.shape[2:]).cpu().numpy()
            for f in levels
        ]

    # inputs are BGR CHW uint8 before the data preprocessor
    image = data['inputs'].permute(1, 2, 0).cpu().numpy()[..., ::-1].copy()
    gt = None
    if gt_path is not None:
        # mmseg's test pipelines load labels after the resize (scores are
        # taken at the original size): brought to the image's here
        gt = F.interpolate(
            data['data_samples'].gt_sem_seg.data[None].float(),
            size=image.shape[:2], mode='nearest')[0, 0]
        gt = gt.cpu().numpy().astype(np.uint8)
    return AttentionMaps(image, maps(reads), maps(refined),
                         pred(student_logits),
                         pred(model.teacher_head(refined)), gt)


def _overlay_labels(image: np.ndarray, labels: np.ndarray,
                    palette) -> np.ndarray:
    palette = np.asarray(palette, dtype=np.float32)
    colors = palette[np.clip(labels, 0, len(palette) - 1)]
    out = 0.5 * image + 0.5 * colors
    out[labels >= len(palette)] = image[labels >= len(palette)]  # void
    return out.astype(np.uint8)


def shown_classes(maps: AttentionMaps) -> List[int]:
    """The classes any of the figure's label maps shows (void left out)."""
    shown = [maps.student_pred, maps.teacher_pred]
    if maps.gt is not None:
        shown.append(maps.gt[maps.gt != 255])
    return sorted(set(np.unique(np.concatenate(
        [np.ravel(m) for m in shown])).tolist()))


def attention_figure(maps: AttentionMaps, palette, title: str = '',
                     path: str = None,
                     classes: Optional[Sequence[str]] = None) -> np.ndarray:
    """A grid: the image, the ground truth (when ``maps`` has it) and both
    predictions on top, with a legend of the classes shown (``classes``:
    their names); then a(F_i) and a(T_i) per level over the image, with the
    colour bar of the attention maps. Saved to ``path`` when given;
    returned as an (H, W, 3) RGB array."""
    fig = _figure(maps, palette, title, classes)
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    if path:
        fig.savefig(path, dpi=100)
    plt.close(fig)
    return rgb


def _figure(maps: AttentionMaps, palette, title: str,
            classes: Optional[Sequence[str]]):
    n = len(maps.student)
    top = [('image', maps.image)]
    if maps.gt is not None:
        top.append(('ground truth',
                    _overlay_labels(maps.image, maps.gt, palette)))
    top += [('student prediction',
             _overlay_labels(maps.image, maps.student_pred, palette)),
            ('self-teacher prediction',
             _overlay_labels(maps.image, maps.teacher_pred, palette))]
    cols = max(n, len(top))
    fig, axes = plt.subplots(3, cols, figsize=(3 * cols + 1.2, 10.2))
    for ax in axes.flat:
        ax.axis('off')
    for ax, (name, img) in zip(axes[0], top):
        ax.imshow(img)
        ax.set_title(name)
    for row, (name, levels) in enumerate([('a(F', maps.student),
                                          ('a(T', maps.teacher)], start=1):
        for i, att in enumerate(levels):
            # resized here (bilinear) rather than by draw_featmap, which
            # warns about the size difference on every call
            up = F.interpolate(torch.from_numpy(att)[None, None],
                               size=maps.image.shape[:2], mode='bilinear',
                               align_corners=False)[0]
            heat = Visualizer.draw_featmap(up, maps.image, alpha=0.5)
            axes[row, i].imshow(heat)
            axes[row, i].set_title(
                f'{name}_{i + 1})  {att.shape[0]}x{att.shape[1]}')
    axes[1, 0].text(-0.12, 0.5, 'student', rotation=90, va='center',
                    transform=axes[1, 0].transAxes, fontsize=12)
    axes[2, 0].text(-0.12, 0.5, 'self-teacher', rotation=90, va='center',
                    transform=axes[2, 0].transAxes, fontsize=12)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 0.93, 1))
    # draw_featmap scales each map to its own min..max, then colours it
    # with OpenCV's JET: one bar for all of them
    bar = fig.colorbar(
        ScalarMappable(cmap='jet'),
        cax=fig.add_axes((0.94, 0.08, 0.012, 0.55)), ticks=[0, 1])
    bar.ax.set_yticklabels(['min', 'max'])
    bar.set_label('attention (each map scaled to its own range)')
    names = classes or [str(i) for i in range(len(palette))]
    handles = [
        Patch(color=np.asarray(palette[i]) / 255,
              label=names[i] if i < len(names) else str(i))
        for i in shown_classes(maps) if i < len(palette)
    ]
    fig.legend(handles=handles, loc='lower center', ncol=min(len(handles), 8),
               frameon=False, title='classes shown')
    return fig

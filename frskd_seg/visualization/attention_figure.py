"""What the self-teacher taught, for one image: spatial attention maps a(f)
(docs/method.md, Losses) of the student's features F_i and the refined T_i,
per level,
and both networks' predictions -- the paper's qualitative figure."""
from dataclasses import dataclass
from typing import List

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.dataset import Compose  # noqa: E402
from mmengine.visualization import Visualizer  # noqa: E402

from frskd_seg.models.losses import spatial_attention  # noqa: E402


@dataclass
class AttentionMaps:
    """For one image: ``image`` (H, W, 3) RGB uint8 as the network saw it,
    ``student``/``teacher`` lists of (h_i, w_i) attention maps, and
    ``student_pred``/``teacher_pred`` (H, W) class indices."""
    image: np.ndarray
    student: List[np.ndarray]
    teacher: List[np.ndarray]
    student_pred: np.ndarray
    teacher_pred: np.ndarray


def _test_pipeline(cfg) -> Compose:
    # the config's test pipeline, without the annotation loading
    steps = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'] != 'LoadAnnotations'
    ]
    return Compose(steps)


@torch.no_grad()
def compute_attention_maps(model, image_path: str) -> AttentionMaps:
    """Run ``model`` (an :class:`FRSKDEncoderDecoder` from
    ``mmseg.apis.init_model``) on one image file, student and self-teacher."""
    if not hasattr(model, 'self_teacher'):
        raise TypeError('attention maps need an FRSKD model (with a '
                        f'self_teacher), got {type(model).__name__}')
    model.eval()
    data = _test_pipeline(model.cfg)(dict(img_path=image_path))
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
    return AttentionMaps(image, maps(reads), maps(refined),
                         pred(student_logits),
                         pred(model.teacher_head(refined)))


def _overlay_labels(image: np.ndarray, labels: np.ndarray,
                    palette) -> np.ndarray:
    palette = np.asarray(palette, dtype=np.float32)
    colors = palette[np.clip(labels, 0, len(palette) - 1)]
    return (0.5 * image + 0.5 * colors).astype(np.uint8)


def attention_figure(maps: AttentionMaps, palette, title: str = '',
                     path: str = None) -> np.ndarray:
    """A grid: the image and both predictions on top, then a(F_i) and a(T_i)
    per level over the image. Saved to ``path`` when given; returned as an
    (H, W, 3) RGB array."""
    n = len(maps.student)
    cols = max(n, 3)
    fig, axes = plt.subplots(3, cols, figsize=(3 * cols, 9.4))
    for ax in axes.flat:
        ax.axis('off')
    top = [('image', maps.image),
           ('student prediction',
            _overlay_labels(maps.image, maps.student_pred, palette)),
           ('self-teacher prediction',
            _overlay_labels(maps.image, maps.teacher_pred, palette))]
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
    fig.tight_layout()
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    if path:
        fig.savefig(path, dpi=100)
    plt.close(fig)
    return rgb

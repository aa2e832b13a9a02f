"""The recipe sweep's report: the Markdown table of what the two lines do on
mmseg's configs, and CI's sample of them (one per head and backbone pair)."""
from collections import Counter, defaultdict
from typing import Iterable, List

from .recipe_check import (FAILS, REFUSED, SIZES, UNAVAILABLE, WORKS,
                           CheckResult, frskd_type)


def report(results: List[CheckResult]) -> str:
    """Markdown: counts by status, the table by head type, and every
    refusal and failure message (first line)."""
    out = [r for r in results if r.segmentor and frskd_type(r.segmentor)
           is None]
    scope = [r for r in results if r not in out]
    total = Counter(r.status for r in scope)
    runs = len(scope) - total[UNAVAILABLE]
    outside = Counter(r.segmentor for r in out)
    lines = [
        f'{len(results)} configs; {len(out)} with a segmentor the recipe '
        'does not apply to (' + ', '.join(
            f'{k} {v}' for k, v in sorted(outside.items())) + '); of the '
        f'other {len(scope)}: **{total[WORKS]} work '
        f'({100 * total[WORKS] / max(len(scope), 1):.1f} %; '
        f'{100 * total[WORKS] / max(runs, 1):.1f} % of the {runs} whose '
        f'plain model runs here)**, {total[REFUSED]} refused, '
        f'{total[FAILS]} fail, {total[UNAVAILABLE]} unavailable here', '',
        '| decode head | backbones | configs | works | refused | fails '
        '| unavailable |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |'
    ]
    by_head = defaultdict(list)
    for r in scope:
        by_head[r.head or '(config not parsed)'].append(r)
    for head in sorted(by_head):
        rs = by_head[head]
        counts = Counter(r.status for r in rs)
        backbones = ', '.join(sorted({r.backbone for r in rs if r.backbone}))
        lines.append(f'| {head} | {backbones} | {len(rs)} | '
                     + ' | '.join(str(counts[s]) for s in (
                         WORKS, REFUSED, FAILS, UNAVAILABLE)) + ' |')
    for status in (REFUSED, FAILS, UNAVAILABLE):
        messages = defaultdict(list)
        for r in scope:
            if r.status == status:
                messages[r.message.splitlines()[0]].append(r.config)
        if messages:
            lines += ['', f'**{status}**:', '']
            for message, configs in sorted(messages.items(),
                                           key=lambda kv: -len(kv[1])):
                lines.append(f'- {len(configs)} config(s), e.g. '
                             f'`{configs[0]}`: {message}')
    return '\n'.join(lines) + '\n'


def pair_sample(results: Iterable[CheckResult],
                max_size: int = SIZES[-1]) -> List[CheckResult]:
    """One result per distinct (decode head type, backbone type) pair (the
    quickest config to check), of the configs that work or are refused:
    a sample that meets every head and backbone shape mmseg ships. Configs
    that only run at their full crop (above ``max_size``: BEiT, MAE,
    LRASPP) are left to the full sweep."""
    picked = {}
    for r in sorted(results, key=lambda r: (r.seconds, r.config)):
        if r.status in (WORKS, REFUSED) and r.size <= max_size:
            picked.setdefault((r.head, r.backbone), r)
    return sorted(picked.values(), key=lambda r: r.config)


def write_sample(results: Iterable[CheckResult], path: str) -> int:
    """Write :func:`pair_sample` as ``<status> <size> <config>`` lines (what
    the test suite checks); returns how many."""
    sample = pair_sample(results)
    with open(path, 'w') as f:
        f.write('# One mmseg config per (decode head, backbone) type pair: '
                'status, image size, config.\n# Written by '
                'python tools/check_recipe.py --write-sample ' + path + '\n')
        for r in sample:
            f.write(f'{r.status} {r.size} {r.config}\n')
    return len(sample)

import json
import math

import pytest

from studies.compare_studies import (compare_studies, difference_table,
                                     load_study, pooled, twin_gains)


def study(students, twin_key='twin-0', max_iters=10, splits=('val', 'test')):
    """A study.json: ``students[seed] = final student mIoU`` (test: +1)."""
    def evals(miou):
        return {sp: {str(max_iters): {'mIoU': miou + (sp == 'test')}}
                for sp in splits}
    return dict(seeds=sorted(students), keys={'twin': twin_key},
                max_iters=max_iters, splits=list(splits),
                evals={'frskd': {str(s): evals(m)
                                 for s, m in students.items()}})


def test_difference_is_paired_over_common_seeds():
    a = study({0: 50.0, 1: 60.0, 2: 40.0, 3: 70.0})
    b = study({0: 51.0, 1: 62.0, 2: 43.0})  # seed 3 not run
    diff = compare_studies(a, b)
    assert list(diff) == ['val', 'test']
    val = diff['val']
    assert val.seeds == [0, 1, 2] and val.differences == [1.0, 2.0, 3.0]
    assert val.mean == 2.0
    # t(0.975, 2) = 4.302653, sd 1, n 3
    assert val.ci == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert diff['test'].differences == [1.0, 2.0, 3.0]
    table = difference_table(diff)
    assert '| val | 3 | **+2.00** [-0.48, +4.48] |' in table
    assert '+1.00, +2.00, +3.00' in table


def test_one_common_seed_has_no_interval():
    diff = compare_studies(study({0: 50.0}), study({0: 49.0, 1: 3.0}))
    assert diff['val'].differences == [-1.0]
    assert '**-1.00** n/a | n/a |' in difference_table(diff)


def test_incomparable_studies_are_refused():
    with pytest.raises(ValueError, match='share no seed'):
        compare_studies(study({0: 1.0}), study({1: 1.0}))
    with pytest.raises(ValueError, match='share no split'):
        compare_studies(study({0: 1.0}, splits=('val', )),
                        study({0: 1.0}, splits=('test', )))
    with pytest.raises(ValueError, match='10 and 20 iterations'):
        compare_studies(study({0: 1.0}), study({0: 1.0}, max_iters=20))


def test_load_study_reads_the_work_dir(tmp_path):
    (tmp_path / 'study.json').write_text(json.dumps(study({0: 5.0})))
    assert load_study(str(tmp_path))['max_iters'] == 10
    with pytest.raises(FileNotFoundError, match='holds no study.json'):
        load_study(str(tmp_path / 'missing'))


def test_pairs_pooled_over_backbones_with_their_spreads():
    """Two pairs of studies (two backbones): one sample of 4 differences;
    the spread between the pairs' means beside the spread within."""
    first = compare_studies(study({4: 50.0, 5: 60.0}),
                            study({4: 51.0, 5: 63.0}))  # +1, +3
    second = compare_studies(study({4: 40.0, 5: 45.0}),
                             study({4: 45.0, 5: 52.0}))  # +5, +7
    both = pooled([('b1', first), ('b2', second)])
    val = both['val']
    assert val.differences == [1.0, 3.0, 5.0, 7.0]
    assert val.groups == ['b1', 'b1', 'b2', 'b2']
    assert val.mean == 4.0
    # group means 2 and 6: SD 2 sqrt(2); within: each value 1 from its mean
    assert val.between_sd == pytest.approx(2 * math.sqrt(2))
    assert val.within_sd == pytest.approx(math.sqrt(4 / 2))
    assert '| val | 4 | **+4.00**' in difference_table(both)
    assert '| 2.83 / 1.41 |' in difference_table(both)


def test_twin_gains_are_student_minus_twin_per_seed():
    s = study({0: 50.0, 1: 60.0})
    s['evals']['twin'] = {'0': {sp: {'10': {'mIoU': 49.0}}
                                for sp in ('val', 'test')},
                          '1': {sp: {'10': {'mIoU': 61.0}}
                                for sp in ('val', 'test')}}
    gains = twin_gains(s)
    assert gains['val'].differences == [1.0, -1.0]
    assert gains['test'].differences == [2.0, 0.0]


def test_the_tool_pools_pairs_and_twin_gains(tmp_path):
    import subprocess
    import sys
    from tests.conftest import REPO
    dirs = []
    for name, students in (('a1', {0: 50.0}), ('b1', {0: 51.0}),
                           ('a2', {0: 40.0}), ('b2', {0: 43.0})):
        s = study(students)
        s['evals']['twin'] = {'0': {sp: {'10': {'mIoU': 30.0}}
                                    for sp in ('val', 'test')}}
        (tmp_path / name).mkdir()
        (tmp_path / name / 'study.json').write_text(json.dumps(s))
        dirs.append(str(tmp_path / name))

    def tool(*args):
        out = subprocess.run([sys.executable, 'tools/compare_studies.py',
                              *args], cwd=REPO, capture_output=True,
                             text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert '| val | 2 | **+2.00**' in tool(*dirs)  # +1 and +3, pooled
    assert '| val | 2 | **+15.00**' in tool('--twin', dirs[0], dirs[2])
    odd = subprocess.run([sys.executable, 'tools/compare_studies.py',
                          *dirs[:3]], cwd=REPO, capture_output=True,
                         text=True)
    assert odd.returncode == 2 and 'in pairs' in odd.stderr

import json
import math

import pytest

from studies.compare_studies import (compare_studies,
                                     difference_table, load_study)


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

"""Each report column's label says what its number is, in Vietnamese and in English."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from phusong.coverage.gigabit import declared_gigabit_households
from phusong.i18n import t
from phusong.maps.report import COMMUNE_COLUMNS

# column → words each language's label must hold to say what the number is
MEANINGS = {
    "share_5g_pop_pct": (("dân số", "5G", "%"), ("Population", "5G", "%")),
    "share_5g_low_pct": (("90 %", "dưới"), ("90 %", "low")),
    "share_5g_high_pct": (("90 %", "trên"), ("90 %", "high")),
    "p_target_met": (("chỉ tiêu",), ("target",)),
    "gap_pp": (("chỉ tiêu", "điểm %"), ("target", "pp")),
    "gap_people": (("chỉ tiêu", "người"), ("target", "People")),
    "gigabit_share_pct": (("≥ 1 Gb/s", "%"), ("≥ 1 Gb/s", "%")),
    "gigabit_status_label": (("≥ 1 Gb/s",), ("≥ 1 Gb/s",)),
}


@pytest.mark.parametrize("column, key", [(c, k) for c, k, _ in COMMUNE_COLUMNS])
def test_every_report_column_is_labelled_in_both_languages(column, key):
    vi, en = t(key, "vi"), t(key, "en")
    assert vi and en and vi != key and en != key
    for words, label in zip(MEANINGS.get(column, ((), ())), (vi, en)):
        for word in words:
            assert word.casefold() in label.casefold(), (column, label, word)


def test_a_plan_of_exactly_one_gigabit_counts_as_gigabit():
    """Labels say ≥ 1 Gb/s; the count takes a 1,000 Mbit/s plan and not a 999 one."""
    declarations = pd.DataFrame({"operator": ["A", "B"], "max_down_mbps": [1000.0, 999.0],
                                 "unit": [0, 1], "households": [10, 20]})
    counted = declared_gigabit_households(declarations, 2, 1000)
    assert np.asarray(counted).tolist() == [10, 0]

"""What sources call their operators, technologies and cells, in the store's terms.

Sources name technologies freely (``4G``, ``LTE``, ``HSPA+``, ``5G NSA``…), give operators
as MCC-MNC with or without a separator or by name, and identify cells in several ways;
these functions turn them into the store's vocabulary and derive the site of a cell:
an LTE ECI is eNB ID × 256 + local cell id; an NR NCI is the gNB ID (22–32 bits, set
per operator) followed by the cell id (3GPP TS 36.413 §9.2.1.38, TS 38.413 §9.3.1.7).
"""
from __future__ import annotations

import math
import re

# Values sources write for "unknown" in numeric fields (Android's CellInfo.UNAVAILABLE,
# Quectel's -32768 for a value the modem does not have, e.g. an idle EN-DC NR leg).
SENTINELS = frozenset({2147483647, -2147483648, 32767, -32768, -200, -999, -9999})
MISSING_TEXT = frozenset({"", "-", "--", "n/a", "na", "nan", "null", "none", "unknown"})

TECHNOLOGY_ALIASES = {
    "GSM": ("2G", "GSM", "GPRS", "EDGE", "EGPRS"),
    "UMTS": ("3G", "UMTS", "WCDMA", "HSPA", "HSPA+", "HSDPA", "HSUPA", "HSPAP", "TD-SCDMA",
             "DC-HSPA+", "CDMA", "EVDO", "HSDPA+", "H+", "H", "3.5G", "EHRPD", "1XRTT"),
    "LTE": ("4G", "LTE", "LTE-A", "LTE+", "LTE-CA", "LTE CA", "4G+", "LTECA", "E-UTRA",
            "EUTRA", "LTE-A PRO", "4.5G"),
    "NR-NSA": ("5G NSA", "5G-NSA", "NR-NSA", "NR NSA", "EN-DC", "ENDC", "NR5G-NSA", "NSA",
               "5GNSA"),
    "NR-SA": ("5G SA", "5G-SA", "NR-SA", "NR SA", "NR5G-SA", "SA", "5GSA"),
    "NR": ("5G", "NR", "NR5G", "5G+", "5G UC"),
    "NONE": ("NONE", "NO SERVICE", "NOSERVICE", "OUT OF SERVICE", "EMERGENCY", "LIMITED"),
}
_TECHNOLOGY = {alias: name for name, aliases in TECHNOLOGY_ALIASES.items() for alias in aliases}

# Vietnamese mobile network codes (MCC 452), for sources that name the operator.
OPERATOR_CODES = {"mobifone": "452-01", "vinaphone": "452-02", "vnpt": "452-02",
                  "viettel": "452-04", "vietnamobile": "452-05", "gmobile": "452-07"}


def missing(value: object) -> bool:
    """Whether a source's value means "unknown"."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, (int, float)):
        return value in SENTINELS
    return str(value).strip().lower() in MISSING_TEXT


def number(value: object) -> float | None:
    """A source's numeric value, ``None`` for missing or a sentinel.

    Raises
    ------
    ValueError
        For text that is not a number.
    """
    try:  # the common case, a plain number, before the checks for "unknown" text
        result = float(value)
    except (TypeError, ValueError):
        if missing(value):
            return None
        result = float(str(value).strip().replace(",", "."))
    if not math.isfinite(result) or result in SENTINELS:
        return None
    return result


def technology(value: object) -> str | None:
    """The store's technology for a source's name of it (``NR`` when SA/NSA is not said);
    ``None`` for missing."""
    if missing(value):
        return None
    text = re.sub(r"[\s_]+", " ", str(value).strip().upper())
    if text in _TECHNOLOGY:
        return _TECHNOLOGY[text]
    raise ValueError(f"technology {value!r} is not known (2G/3G/4G/5G, GSM, UMTS, LTE, NR…)")


def operator_code(value: object, mnc: object = None) -> str | None:
    """MCC-MNC (``452-04``) from ``45204``, ``452-04``, ``452 04``, a name, or an MCC and
    an MNC given apart; ``None`` for missing."""
    if mnc is not None:
        if missing(value) or missing(mnc):
            return None
        mcc_number, mnc_number = number(value), number(mnc)
        if mcc_number is None or mnc_number is None:
            return None
        if not all(n.is_integer() and 0 <= n <= 999 for n in (mcc_number, mnc_number)):
            raise ValueError(f"MCC {value!r} and MNC {mnc!r} are not an operator code")
        return f"{int(mcc_number):03d}-{int(mnc_number):02d}"
    if missing(value):
        return None
    text = str(value).strip()
    digits = re.fullmatch(r"(\d{3})[\s\-_/]?(\d{2,3})", text)
    if digits:
        return f"{digits.group(1)}-{digits.group(2)}"
    named = OPERATOR_CODES.get(re.sub(r"[\s_\-]", "", text.casefold()))
    if named:
        return named
    raise ValueError(f"operator {value!r} is neither MCC-MNC nor a known operator name")


def lte_site(eci: int | None) -> int | None:
    """The eNB ID of an LTE cell (ECI >> 8)."""
    return None if eci is None else int(eci) >> 8


def nr_site(nci: int | None, gnb_id_bits: int) -> int | None:
    """The gNB ID of an NR cell: the first ``gnb_id_bits`` (22–32) of its 36-bit NCI."""
    if nci is None:
        return None
    if not 22 <= gnb_id_bits <= 32:
        raise ValueError(f"a gNB ID has 22 to 32 bits, not {gnb_id_bits}")
    return int(nci) >> (36 - gnb_id_bits)


def site_key(operator: str | None, technology_name: str | None, site: int | None) -> str | None:
    """A key naming one site of one operator (``452-04:LTE:12345``), to group sectors."""
    if site is None:
        return None
    return f"{operator or 'unknown'}:{'NR' if (technology_name or '').startswith('NR') else 'LTE'}:{site}"

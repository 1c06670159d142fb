"""Subjects and the 60/20/20 train/val/test split, decided per dataset so an image shared by several tasks
of one dataset (hard links) lands in the same split for all of them.

    >>> subject_of("LGG_kaggle3m", "TCGA_CS_4941_19960909_s11")
    'TCGA_CS_4941'
"""
import hashlib
import re
from typing import Dict, Iterable, List

# How a file id names its subject, per dataset (read off the ids in shared/data). A dataset missing here
# uses one subject per image. The first capture group is the subject.
SUBJECT_PATTERNS: Dict[str, str] = {
    "BraTS2015_DeepMedic": r"^(pat\d+)_",
    "CCA_US_Momot": r"^(\d+)VAS_",
    "CDD_CESM_mini": r"^(?:flipped_)?(P\d+)_",
    "CTC_Fluo-C2DL-MSC": r"^(s\d+)_",
    "CTC_Fluo-N2DH-GOWT1": r"^(s\d+)_",
    "DDTI": r"^(case\d+)_",
    "HC18": r"^(\d+)_",
    "KiTS19_mini": r"^(?:flipped_)?(\d+)_",
    "LGG_kaggle3m": r"^(TCGA_[A-Z0-9]+_[A-Z0-9]+)_",
    "LiverCT_mini": r"^(?:flipped_)?(\d+)_",
    "MSD_Spleen_mini": r"^(?:flipped_)?(\d+)_",
    "MoNuSeg": r"^(.+)_q\d\d$",
    "PanSegData_T2_mini": r"^(?:flipped_)?(\d+)_",
    "TCGA36_Nuclei": r"^(TCGA-[A-Z0-9]+-[A-Z0-9]+)",
}

# With fewer subjects than this a subject split cannot give three non-empty parts: split by image instead
# (documented leak: e.g. the two CTC sequences).
MIN_SUBJECTS = 5

SPLITS = ("train", "val", "test")


def subject_of(dataset: str, image_id: str) -> str:
    """The subject an image belongs to; the id itself when the dataset's names reveal none."""
    pattern = SUBJECT_PATTERNS.get(dataset)
    if pattern:
        m = re.match(pattern, image_id)
        if m:
            return m.group(1)
    return image_id


def _rank(key: str) -> str:
    # A stable pseudo-random order that does not depend on Python's hash seed or on the set of other ids.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def split_ids(dataset: str, image_ids: Iterable[str], fractions=(0.6, 0.2, 0.2)) -> Dict[str, str]:
    """image id -> "train" | "val" | "test": subjects shuffled by a fixed hash, then cut 60/20/20.

    Every subject goes wholly into one split. With fewer than MIN_SUBJECTS subjects the images themselves
    are the units. Each split gets at least one unit when there are at least three.
    """
    ids = sorted(set(image_ids))
    subjects = {i: subject_of(dataset, i) for i in ids}
    units: List[str] = sorted(set(subjects.values()), key=lambda s: _rank(f"{dataset}/{s}"))
    by_image = len(units) < MIN_SUBJECTS
    if by_image:
        units = sorted(ids, key=lambda s: _rank(f"{dataset}/{s}"))
    n = len(units)
    n_val = max(1, round(fractions[1] * n)) if n >= 3 else 0
    n_test = max(1, round(fractions[2] * n)) if n >= 3 else 0
    n_train = n - n_val - n_test
    unit_split = {}
    for k, u in enumerate(units):
        unit_split[u] = "train" if k < n_train else ("val" if k < n_train + n_val else "test")
    return {i: unit_split[i if by_image else subjects[i]] for i in ids}

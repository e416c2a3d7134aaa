"""Generate the example data in examples/data/ (committed; rerun to regenerate byte-identically).

- ``human.csv``: the trusted human reference (20,000 rows).
- ``clean_batch.csv``: 5,000 fresh rows from the same human process. collapse-guard must pass it.
- ``collapsed_batch.csv``: 5,000 rows from a model trained on human data and sampled the way
  collapsing generators are: numbers drawn at low temperature (spread shrunk to 70% around the
  median, so the tails thin out), categories bootstrapped from a small previous generation (rare
  countries vanish), and reviews written by a trigram model of the human reviews sampled with
  top-k = 5 (rare words vanish, phrases repeat). collapse-guard must fail it.

Run: ``python examples/make_examples.py``
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240724  # the Nature paper's publication date
OUT = Path(__file__).parent / "data"

COUNTRIES = [
    f"{c}"
    for c in [
        "us",
        "gb",
        "de",
        "fr",
        "in",
        "br",
        "ca",
        "au",
        "es",
        "it",
        "nl",
        "se",
        "pl",
        "mx",
        "jp",
        "kr",
        "ar",
        "za",
        "ng",
        "ke",
        "eg",
        "tr",
        "ie",
        "pt",
        "be",
        "at",
        "ch",
        "dk",
        "no",
        "fi",
        "nz",
        "sg",
        "my",
        "ph",
        "id",
        "vn",
        "th",
        "cl",
        "co",
        "pe",
        "is",
        "mt",
        "lu",
        "ee",
        "lv",
        "lt",
        "cy",
    ]
]

SUBJECTS = [
    "the battery",
    "the screen",
    "this charger",
    "the case",
    "the keyboard",
    "my order",
    "the delivery",
    "the manual",
    "the speaker",
    "this cable",
    "the app",
    "the strap",
    "the lens",
    "the handle",
    "the lid",
    "the fabric",
    "the motor",
    "the hinge",
]
VERBS = [
    "lasts",
    "works",
    "broke",
    "feels",
    "arrived",
    "looks",
    "sounds",
    "fits",
    "failed",
    "survived",
    "rattles",
    "charges",
    "heats up",
    "wobbles",
    "shines",
    "smells",
]
ADVERBS = [
    "well",
    "badly",
    "fine",
    "quickly",
    "late",
    "early",
    "great",
    "poorly",
    "oddly",
    "surprisingly well",
    "as expected",
    "after a week",
    "in the rain",
    "on day one",
]
RARE = [
    "flimsy",
    "sturdy",
    "squeaky",
    "glossy",
    "crooked",
    "lukewarm",
    "finicky",
    "pristine",
    "dented",
    "scratched",
    "waterlogged",
    "overpriced",
    "underwhelming",
    "immaculate",
    "rickety",
    "sluggish",
    "snappy",
    "tacky",
    "gorgeous",
    "dreadful",
    "clunky",
    "sleek",
    "brittle",
    "lopsided",
    "velvety",
    "grainy",
    "muffled",
    "crisp",
    "tinny",
    "bulky",
]
CLOSERS = [
    "would buy again",
    "not worth it",
    "five stars",
    "returned it",
    "gift for my dad",
    "fine for the price",
    "avoid",
    "recommended",
    "meh",
    "love it",
    "two stars at most",
]


def human_review(rng: np.random.Generator) -> str:
    parts = []
    for _ in range(rng.integers(1, 4)):
        s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(ADVERBS)}"
        if rng.random() < 0.45:
            s += f" and is {rng.choice(RARE)}"
        parts.append(s)
    if rng.random() < 0.5:
        parts.append(str(rng.choice(CLOSERS)))
    return ". ".join(p.capitalize() for p in parts) + "."


def human_rows(n: int, rng: np.random.Generator) -> pd.DataFrame:
    ranks = np.arange(1, len(COUNTRIES) + 1)
    p = ranks**-1.3
    p /= p.sum()
    return pd.DataFrame(
        {
            "income": np.round(rng.lognormal(mean=10.5, sigma=0.7, size=n), 2),
            "session_minutes": np.round(rng.gamma(shape=2.0, scale=9.0, size=n), 1),
            "rating": np.round(np.clip(rng.normal(3.6, 1.1, size=n), 1, 5), 1),
            "country": rng.choice(COUNTRIES, size=n, p=p),
            "review": [human_review(rng) for _ in range(n)],
        }
    )


def trigram_sampler(texts: list[str], rng: np.random.Generator, top_k: int):
    """A word trigram model of ``texts``, sampled with top-k truncation."""
    table: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for t in texts:
        words = ["<s>", "<s>", *t.split(), "</s>"]
        for a, b, c in zip(words, words[1:], words[2:], strict=False):
            table[(a, b)][c] += 1

    def sample() -> str:
        a, b, out = "<s>", "<s>", []
        while len(out) < 60:
            nxt = table[(a, b)]
            words, counts = zip(*sorted(nxt.items(), key=lambda kv: -kv[1]), strict=True)
            words, counts = words[:top_k], np.array(counts[:top_k], dtype=float)
            w = words[rng.choice(len(words), p=counts / counts.sum())]
            if w == "</s>":
                break
            out.append(w)
            a, b = b, w
        return " ".join(out)

    return sample


def collapsed_rows(human: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    out = pd.DataFrame(index=range(n))
    for col in ("income", "session_minutes", "rating"):
        x = human[col].to_numpy()
        med = np.median(x)
        draw = (
            rng.choice(x, size=n)
            if col != "income"
            else np.exp(rng.normal(np.log(x).mean(), np.log(x).std(), size=n))
        )
        out[col] = np.round(med + 0.7 * (draw - med), 2)
    # categories: each generation bootstraps 400 rows of the previous one, 4 generations
    cats = human["country"].to_numpy()
    for _ in range(4):
        cats = rng.choice(cats, size=400)
    out["country"] = rng.choice(cats, size=n)
    sample = trigram_sampler(human["review"].tolist()[:5000], rng, top_k=5)
    out["review"] = [sample() for _ in range(n)]
    return out


def main() -> None:
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    human = human_rows(20_000, rng)
    clean = human_rows(5_000, rng)
    collapsed = collapsed_rows(human, 5_000, rng)
    human.to_csv(OUT / "human.csv", index=False)
    clean.to_csv(OUT / "clean_batch.csv", index=False)
    collapsed.to_csv(OUT / "collapsed_batch.csv", index=False)
    print(f"wrote {OUT}/human.csv, clean_batch.csv, collapsed_batch.csv")


if __name__ == "__main__":
    main()

"""Sentiment of English text from a small lexicon, in the style of VADER.

Each known word carries a valence (``lexicon.tsv``).  A negation ("not", "never", "don't", ...)
within the three words before a word flips and dampens it; an intensifier ("very",
"extremely", ...) right before it strengthens it; after "but" the clause counts more than
before it; exclamation marks add emphasis.  The sum is squashed to a score in [-1, 1]
(``s / sqrt(s*s + 15)``); at or above 0.05 is positive, at or below -0.05 negative.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

LEXICON_PATH = Path(__file__).with_name("lexicon.tsv")
NEGATIONS = {"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "cannot", "without", "hardly"}
INTENSIFIERS = {
    "very": 0.3, "really": 0.3, "extremely": 0.4, "so": 0.2, "super": 0.3, "incredibly": 0.4,
    "totally": 0.3, "absolutely": 0.4, "quite": 0.1, "slightly": -0.3, "somewhat": -0.2, "barely": -0.4,
}
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
THRESHOLD = 0.05


def load_lexicon(path: Path = LEXICON_PATH) -> dict[str, float]:
    lexicon = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            word, value = line.split("\t")
            lexicon[word] = float(value)
    return lexicon


def _is_negation(token: str) -> bool:
    return token in NEGATIONS or token.endswith("n't")


class SentimentAnalyzer:
    """``POST /analyze`` and its alias ``POST /predict``."""

    def __init__(self) -> None:
        self.lexicon = load_lexicon()

    def score_text(self, text: str) -> float:
        tokens = WORD.findall(text.lower())
        but = tokens.index("but") if "but" in tokens else None
        total = 0.0
        for i, token in enumerate(tokens):
            valence = self.lexicon.get(token)
            if valence is None:
                continue
            if i > 0 and tokens[i - 1] in INTENSIFIERS:
                boost = INTENSIFIERS[tokens[i - 1]]
                valence += boost if valence > 0 else -boost
            if any(_is_negation(t) for t in tokens[max(0, i - 3) : i]):
                valence *= -0.74
            if but is not None:
                valence *= 0.5 if i < but else 1.5
            total += valence
        if total:
            total += math.copysign(min(text.count("!"), 4) * 0.292, total)
        return round(total / math.sqrt(total * total + 15), 4)

    def analyze(self, payload: Any) -> dict[str, Any]:
        if isinstance(payload, dict):
            text = payload.get("text")
        else:
            text = payload
        if not isinstance(text, str):
            raise ValueError('expected {"text": "..."} or the text itself')
        score = self.score_text(text)
        label = "positive" if score >= THRESHOLD else "negative" if score <= -THRESHOLD else "neutral"
        return {"label": label, "score": score}

    def predict(self, payload: Any) -> dict[str, Any]:
        return self.analyze(payload)

"""The clusterer's types: what it reads of a story, and the knobs it runs with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

#: a cluster's id: the id of the story that started it
ClusterId = int | str


@dataclass(frozen=True, slots=True)
class ClusterStory:
    """What the clusterer reads of a story."""

    id: int | str  #: the story's id in the cache; a new cluster takes its first story's id
    title: str
    published: float  #: seconds since the epoch, UTC (a datetime is converted); clamp to the fetch time
    summary: str = ""  #: plain text, may be empty
    language: str | None = None  #: ISO 639-1 ("en", "pt-BR" counts as "pt"); None: guessed from the text
    feed: int | str | None = None  #: the feed's id or name
    countries: tuple[str, ...] = ()  #: ISO 3166 codes the story is about

    def __post_init__(self) -> None:
        if isinstance(self.published, datetime):
            when = self.published
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            object.__setattr__(self, "published", when.timestamp())


@dataclass(frozen=True, slots=True)
class ClusterParams:
    """How the clusterer decides. The defaults are the ones measured in benchmarks/README.md."""

    window_hours: float = 72.0  #: a cluster whose newest story is older than this takes no more
    df_window_hours: float = 168.0  #: the stories the IDF is counted over
    prefix: int = 6  #: words are cut to this many letters, a stemmer for every language
    threshold: float = 0.3  #: least probability (decision.py) of joining a cluster with the story's language
    other_language_threshold: float = 0.15  #: least probability of joining a cluster with none of it
    most_clusters: int = 40  #: a term more active clusters than this hold finds no candidates
    most_candidates: int = 8  #: clusters weighed in full for one story, the closest by distinctive terms
    least_cosine: float = 0.05  #: a cluster this far from the story, in words and in keys, is not weighed


@dataclass(frozen=True, slots=True)
class Candidate:
    """A cluster weighed for a story (`Clusterer.candidates`)."""

    cluster: ClusterId
    evidence: object  #: an `evidence.Evidence`
    probability: float  #: the decision's chance that the story belongs there

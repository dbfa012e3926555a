"""How problems are grouped: the knowledge base's text clustering, at the configured similarity, handed to the
tickets' problem spotting (which knows nothing of kb). Used by the background job and `helpdesk problems`."""

from __future__ import annotations

from collections.abc import Sequence

from core.settings import Settings
from kb.gaps import cluster_texts
from kb.normalize import Synonyms
from tickets.problem_spotting import Cluster, Group


def problem_cluster(settings: Settings, synonyms: Synonyms | None = None) -> Cluster:
    """Descriptions grouped as `helpdesk kb gaps` groups them, at `settings.problem_similarity`."""

    def cluster(texts: Sequence[str]) -> Sequence[Group]:
        return cluster_texts(texts, similarity=settings.problem_similarity, synonyms=synonyms)

    return cluster

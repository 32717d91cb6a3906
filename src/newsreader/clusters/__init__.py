"""Story clusters: the same event told by several outlets, in several languages, found in a stream.

    from newsreader.clusters import Clusterer, ClusterStory
    clusterer = Clusterer()
    for story, cluster_id in stored_last_days:      # oldest first: warm up from the cache
        clusterer.restore(story, cluster_id)
    cluster_id = clusterer.add(ClusterStory(id=..., title=..., published=..., language=..., countries=...))
"""

from .clusterer import Clusterer
from .model import ClusterId, ClusterParams, ClusterStory

__all__ = ["ClusterId", "ClusterParams", "ClusterStory", "Clusterer"]

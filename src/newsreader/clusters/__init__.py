"""Story clusters: the same event told by several outlets, in several languages, found in a stream.

    from newsreader.clusters import Clusterer, ClusterStory
    clusterer = Clusterer()
    # start-up: the stories published in the last `clusterer.horizon` seconds before the newest one, with
    # the cluster ids stored for them, oldest first (ties by id)
    for story, cluster_id in stored:
        clusterer.restore(story, cluster_id)
    # fetch: each new story, oldest first
    cluster_id = clusterer.add(ClusterStory(id=..., title=..., published=..., language=..., countries=...))

A cluster's id is the id of the story that started it, so a story alone has its own id, and ids need no
counter of their own. `add` decides once: a story's cluster never changes afterwards. The clusterer's
state depends only on the stories of the horizon and the clusters they were put in, so replaying them with
`restore` (or `add`, to rebuild from nothing as `recluster` would) gives the clusterer that was stopped.
"""

from .clusterer import Clusterer
from .model import Candidate, ClusterId, ClusterParams, ClusterStory

__all__ = ["Candidate", "ClusterId", "ClusterParams", "ClusterStory", "Clusterer"]

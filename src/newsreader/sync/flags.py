"""Read and starred, both ways: which side's flag wins, story by story. Pure: no server, no cache.

For each flag of each story there are three values: here (`L`, the last change queued here, with its time),
the server's now (`R`), and the server's as last seen or sent (`K`). A server flag unlike `K` was changed
there since.

- Nothing queued here: the server's flag comes here if it changed (`R != K`).
- Queued here, the server unchanged (`R == K`): the change goes to the server.
- Queued here and changed there alike (`R == L`): nothing to do but remember it.
- Queued here and changed there the other way: the later change wins. The change here keeps its own time.
  Neither protocol says when a flag changed on the server (tt-rss keeps last_read and last_marked but its
  API gives neither; Fever has no such thing), only that it changed between the last sync that saw it
  (`seen_at`) and now; it is taken as made halfway between, the best guess with nothing else known.

A flag is a boolean, so "changed there the other way" means the change here went back to what the server
had: starred and unstarred again here while the server starred it, say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from newsreader.store.sync import FlagUpdate, QueuedChange, SyncedStory

FIELDS = ("read", "starred")


@dataclass(slots=True)
class FlagPlan:
    send: list[FlagUpdate] = field(default_factory=list)  #: changes made here that win: to the server
    take: list[FlagUpdate] = field(default_factory=list)  #: the server's changes that win: here
    agreed: list[FlagUpdate] = field(default_factory=list)  #: the same on both sides now: remembered as seen
    conflicts: int = 0  #: flags both sides changed, different ways

    def sent_values(self) -> dict[tuple[str, bool], list[int]]:
        """What to send, grouped as the servers take it: (field, value) -> server ids."""
        groups: dict[tuple[str, bool], list[int]] = {}
        for update in self.send:
            groups.setdefault((update.field, update.value), []).append(update.remote_id)
        return groups


def last_changes(queued: Iterable[QueuedChange]) -> dict[tuple[int, str], tuple[bool, float]]:
    """(server id, field) -> (value, time) of the last change queued for it: earlier ones are history."""
    last: dict[tuple[int, str], tuple[bool, float]] = {}
    for change in queued:
        if change.op in FIELDS and change.remote_id is not None and change.value is not None:
            last[(change.remote_id, change.op)] = (change.value, change.at)
    return last


def plan(stories: Iterable[SyncedStory], remote: Callable[[int], tuple[bool, bool] | None],
         queued: Sequence[QueuedChange], *, seen_at: float | None, now: float) -> FlagPlan:
    """Decide every flag of `stories` (and of stories with changes queued that the cache no longer holds).

    `remote(server id)`: the server's (read, starred) now, None when it no longer has the story.
    """
    pending = last_changes(queued)
    server_time = (seen_at + now) / 2 if seen_at is not None else None
    result = FlagPlan()
    done: set[int] = set()
    for story in stories:
        done.add(story.remote_id)
        now_there = remote(story.remote_id)
        if now_there is None:
            continue
        known = (story.remote_read, story.remote_starred)
        for index, name in enumerate(FIELDS):
            _decide(result, story.remote_id, name, pending.get((story.remote_id, name)), now_there[index],
                    known[index], server_time)
    for (remote_id, name), change in pending.items():  # deleted here (retention), changed before it went
        if remote_id not in done and (now_there := remote(remote_id)) is not None:
            there = now_there[FIELDS.index(name)]
            if there != change[0]:
                result.send.append(FlagUpdate(remote_id, name, change[0]))
    return result


def _decide(result: FlagPlan, remote_id: int, name: str, change: tuple[bool, float] | None, there: bool,
            known: bool, server_time: float | None) -> None:
    if change is None:
        if there != known:
            result.take.append(FlagUpdate(remote_id, name, there))
        return
    here, at = change
    if there == here:
        result.agreed.append(FlagUpdate(remote_id, name, here))
    elif there == known:
        result.send.append(FlagUpdate(remote_id, name, here))
    else:
        result.conflicts += 1
        if server_time is None or at >= server_time:
            result.send.append(FlagUpdate(remote_id, name, here))
        else:
            result.take.append(FlagUpdate(remote_id, name, there))

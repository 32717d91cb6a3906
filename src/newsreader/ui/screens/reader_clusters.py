"""The reader screen's story clusters: grouping the list by cluster (a row per event) and moving the article
pane between the outlets' versions of the story it shows."""

from __future__ import annotations

from textual import work

from newsreader.ui.screens.reader_base import ReaderBase


class ClusterActions(ReaderBase):
    """Grouping, and the other versions of the story shown."""

    def action_toggle_grouped(self) -> None:
        """A row per story cluster, or a row per story; the story under the cursor stays under it."""
        self.grouped = not self.grouped
        self._title_list()
        current = self.article.story or self.story_list.current
        self.story_list.load(self.list_filter(), keep=current.id if current else None)
        self.post_message(self.GroupingChanged())
        self.notify("A row per event: the same story from several outlets is one row." if self.grouped
                    else "A row per story.", markup=False, timeout=3)

    def _title_list(self) -> None:
        self.story_list.border_title = "Events" if self.grouped else "Stories"

    def action_next_version(self) -> None:
        self._step_version(1)

    def action_previous_version(self) -> None:
        self._step_version(-1)

    def _step_version(self, step: int) -> None:
        """Show the next (or previous) outlet's version of the story in the article pane, oldest first and
        round; the list's cursor stays on the story's row."""
        story = self.article.story
        if story is None:
            return
        if not story.versions:
            self.notify("No other outlet told this story.", markup=False, timeout=3)
            return
        ordered = sorted([(story.when, story.id), *((version.when, version.id) for version in story.versions)])
        ids = [story_id for _, story_id in ordered]
        self._show_version(ids[(ids.index(story.id) + step) % len(ids)])

    @work(exclusive=True, group="story", exit_on_error=False)
    async def _show_version(self, story_id: int) -> None:
        story = await self.queries.run("story", self.library.story, story_id)
        if story is None:
            self.notify("That version is no longer in the cache.", markup=False)
            return
        self._stop_dwell()
        self._display(story)
        if story.read:
            return
        if self.reading:  # opened to be read: read
            self._set_read(story, True)
        else:
            self._start_dwell(story.id)

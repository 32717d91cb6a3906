"""What the keys do to the story on the reader screen: read, star, open its link, copy it, and mark every
story of the filter read."""

from __future__ import annotations

from rich.text import Text
from textual import on, work

from newsreader.library import StoreError, StoryFilter, country_name
from newsreader.text.sanitize import safe_line
from newsreader.ui.format import count, stories, why_text
from newsreader.ui.screens.confirm import ConfirmScreen
from newsreader.ui.screens.reader_base import ReaderBase, if_given, replace_story
from newsreader.ui.system import copy_with_tool, open_in_browser, osc52_note
from newsreader.ui.widgets.article_view import ArticleView, is_openable


class StoryActions(ReaderBase):
    """The story under the cursor (or in the reading view), and every story of the filter."""

    def action_toggle_read(self) -> None:
        if (story := self._current_story()) is not None:
            self._stop_dwell()  # the person decided: the dwell timer must not undo it
            self._set_read(story, not story.read)

    def action_toggle_star(self) -> None:
        if (story := self._current_story()) is None:
            return
        starred = not story.starred
        self.story_list.update_header(story.id, starred=starred)
        self.article.show_story(replace_story(story, starred=starred))
        self._save_flag(self.library.mark_starred, story.id, starred)

    def action_why(self) -> None:
        if (story := self._current_story()) is None:
            return
        if self.article.showing_why:
            self.article.show_why(None)
            return
        self._explain(story.id)

    @work(exclusive=True, group="why", exit_on_error=False)
    async def _explain(self, story_id: int) -> None:
        found = await self.queries.run("story", self.library.explain, story_id)
        if found is None or self.article.story is None or self.article.story.id != story_id:
            return
        self.article.show_why(why_text(*found))

    def action_open_link(self) -> None:
        if (story := self._current_story()) is None:
            return
        if not story.link:
            self.notify("This story has no link.", markup=False)
            return
        self.open_link(story.link)

    def open_link(self, url: str) -> None:
        """Open a link of the story (http, https and mailto only) in a browser."""
        if not is_openable(url):
            self.notify(f"Not opening {safe_line(url)}: only http, https and mailto links are opened.",
                        severity="warning", markup=False)
            return
        self._open_in_browser(url)

    @work(thread=True, group="browser", exit_on_error=False)
    def _open_in_browser(self, url: str) -> None:
        opened, line = open_in_browser(url, self.config.settings.browser)
        self.app.call_from_thread(self.notify, line, severity="information" if opened else "warning", markup=False,
                                  timeout=4 if opened else 10)

    def action_copy_link(self) -> None:
        if (story := self._current_story()) is None:
            return
        if not story.link:
            self.notify("This story has no link.", markup=False)
            return
        self._copy(safe_line(story.link))

    @work(thread=True, group="clipboard", exit_on_error=False)
    def _copy(self, text: str) -> None:
        line = copy_with_tool(text)
        if line is None:  # no clipboard tool took it: the terminal's own clipboard
            self.app.call_from_thread(self.app.copy_to_clipboard, text)
            line = f"Link {osc52_note()}"
        self.app.call_from_thread(self.notify, line, markup=False, timeout=6)

    @on(ArticleView.LinkClicked)
    def _link_clicked(self, event: ArticleView.LinkClicked) -> None:
        self.open_link(event.url)

    def action_mark_all_read(self) -> None:
        counts = self.last_counts
        unread = counts.unread if counts is not None else self.story_list.total
        if not unread:
            self.notify("Every story here is read already.", markup=False)
            return
        what = " · ".join(self.filters.describe(country_name)) or "every feed"
        story_filter = self.story_list.story_filter
        if unread <= self.story_list.scrollable_content_region.height:
            self._mark_all_read(story_filter)
            return
        rows = f"every story of {count(unread, 'event')}" if self.grouped else stories(unread)
        question = Text(f"Mark {rows} read ({what})? ", style="")
        question.append("[y/n]", style="bold")
        self.app.push_screen(ConfirmScreen("Mark all read", question),
                             if_given(lambda yes: self._mark_all_read(story_filter)))

    @work(exclusive=True, group="mark-all", exit_on_error=False)
    async def _mark_all_read(self, story_filter: StoryFilter) -> None:
        try:
            changed = await self.queries.run("story", self.library.mark_all_read, story_filter)
        except StoreError as error:
            self.cache_refused(error)
            return
        self.notify(f"Marked {stories(changed)} read.", markup=False, timeout=3)
        self._marks_saved()
        self._merge_new_stories()
        if self.article.story is not None:
            self.article.story = replace_story(self.article.story, read=True)

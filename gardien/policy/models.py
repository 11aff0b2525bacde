from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from gardien.manifest.wording import DEFAULT_LANGUAGE
from gardien.retention.registry import kept

#: A note is a sentence, not a changelog: longer ones are refused (command and back office).
NOTE_MAX_LENGTH = 500


@kept(because=_("the history of what the organisation promised, and when"))
class PolicyVersion(models.Model):
    """One published state of the manifest; the policy page shows the latest."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    content_hash = models.CharField(_("content hash"), max_length=64)
    published_at = models.DateTimeField(_("published"))
    # The note the history page shows beside the version: ``note`` in French (the default
    # language), ``note_en`` in English. A page shows the note in its language, else the other
    # one, so a note written once is still shown everywhere.
    note = models.TextField(_("note"), blank=True)
    note_en = models.TextField(_("note in English"), blank=True)
    manifest = models.JSONField(_("manifest"))
    source = models.TextField(_("manifest file"), blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")

    def __str__(self) -> str:
        from gardien.lib import when

        return f"v{self.number} ({when.day(self.published_at)})"  # the organisation's day

    def note_in(self, lang: str) -> tuple[str, str]:
        """The note to show on a page in ``lang``, and the language it is written in."""
        if lang == "en" and self.note_en:
            return self.note_en, "en"
        if self.note:
            return self.note, DEFAULT_LANGUAGE
        return self.note_en, "en"

    @property
    def shown_note(self) -> str:
        """The note for the active language (templates)."""
        return self.note_in(translation.get_language() or DEFAULT_LANGUAGE)[0]

    @property
    def shown_note_language(self) -> str:
        return self.note_in(translation.get_language() or DEFAULT_LANGUAGE)[1]

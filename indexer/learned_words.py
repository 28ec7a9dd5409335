"""What a forked writer process learns of words, handed back to the build's process."""

from __future__ import annotations

from indexer.term_ids import Numbering, NumberingMark, adopt_numbering, numbered_since, numbering_mark
from indexer.words import WORD_FORMS, WordForms


class WrittenWordsLearning:
    """What a forked writer process learns of words, handed back to the build's process
    (see :class:`~indexer.codec.window_writers.Learning`): the words it looked up
    (forms and stems, :data:`WORD_FORMS`) and, from the first writer, their term ids, so
    that the next window's writers neither stem nor number them again."""

    def __init__(self) -> None:
        self._mark: NumberingMark = (0, {})  # set when a writer starts learning

    def start_learning(self) -> None:
        WORD_FORMS.start_learning()
        self._mark = numbering_mark()

    def take_learned(self) -> tuple[list[tuple[str, WordForms]], Numbering]:
        return WORD_FORMS.take_learned(), numbered_since(self._mark)

    def learn(self, learned: tuple[list[tuple[str, WordForms]], Numbering]) -> None:
        forms, numbering = learned
        WORD_FORMS.learn(forms)
        adopt_numbering(numbering)  # the first writer's only: the others' numbers clash

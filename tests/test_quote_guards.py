"""Quote attribution guards added with the eighth to tenth development extensions of the labelled sample: each
case is a general property of news attribution (who a verb's subject can be, which sentence a pronoun can reach
back to). Tiny hand-made texts and mentions, no model."""

from __future__ import annotations

import itertools

import pytest

from tasks.nlp.quotes import find_quotes

Names = dict[str, str]


def _speakers(text: str, names: Names, cuts: list[str] | None = None) -> list[str | None]:
    """The speaker of each quote of ``text`` with these (name → label) mentions at their first occurrence; the
    sentences start at each of ``cuts`` (one sentence when none)."""
    mentions = [(text.index(n), text.index(n) + len(n), label) for n, label in names.items()]
    bounds = [0, *(text.index(c) for c in cuts or []), len(text)]
    quotes = find_quotes(text, list(itertools.pairwise(bounds)), mentions)
    by_start = {start: name for name, (start, _, _) in zip(names, mentions, strict=True)}
    return [by_start.get(q.speaker_start) if q.speaker_start is not None else None for q in quotes]


@pytest.mark.parametrize(("text", "names", "expected"), [
    # "told Varga" after a quote names whom it was said to: that verb never takes its subject after it.
    ('"The port deal shows the mayor can move fast," one "well-placed Democrat" told Tomas Varga in an email.',
     {"Tomas Varga": "PERSON"}, [None, None]),
    ('"Would we just sit there and wait?" asked Tomas Varga.', {"Tomas Varga": "PERSON"}, ["Tomas Varga"]),
    # '"…" and said Varga "…"': a verb after other words is another clause's, and its name no inverted subject.
    ('Ana Lima, who called the strike "long and painful for everyone" and said Varga "should be paid in full."',
     {"Ana Lima": "PERSON", "Varga": "PERSON"}, [None, "Ana Lima"]),
    # "according to" names its own source and is no participle reaching back to a name before the quote.
    ('Tomas Varga attacked Lima for a "witch hunt against the port" (a phrase used 80 times, according to the '
     'Harbor Archive).', {"Tomas Varga": "PERSON", "Lima": "PERSON"}, [None]),
    # "Senate President Pro Tempore Tomas Varga": of two names side by side, the first is a title.
    ('"A measure that restores trust in the port is a clear win," said Senate President Pro Tempore Tomas Varga.',
     {"Pro Tempore": "PERSON", "Tomas Varga": "PERSON"}, ["Tomas Varga"]),
    # A title after a work's noun is left out however it ends; after a comma the words are quoted from the work.
    ('Ana Lima wrote in her campaign book "Open Again: How To Fix Our Broken Harbor."', {"Ana Lima": "PERSON"}, []),
    ('Ana Lima wrote in her book, "We must fix the harbor before the winter storms."', {"Ana Lima": "PERSON"},
     ["Ana Lima"]),
])
def test_attribution_guards_in_one_sentence(text: str, names: Names, expected: list[str | None]) -> None:
    assert _speakers(text, names) == expected


def test_a_pronoun_after_the_verb_is_not_its_subject() -> None:
    # "the chair said he …": "he" is the subject of what was said; the speaker is the chair, whom no name gives
    text = ('Tomas Varga released the report on Monday. But the board chair said he could not decide on the question '
            'of the port: "The report does not clear him of anything."')
    assert _speakers(text, {"Tomas Varga": "PERSON"}, ["But the"]) == [None]


def test_a_quote_continues_the_previous_one_only_when_it_opens_its_sentence() -> None:
    text = ('"We will win the vote," Ana Lima said. "The polls are wrong about the harbor." The Harbor Group runs '
            'ads with lines such as "we save the port from those who say they save it."')
    assert _speakers(text, {"Ana Lima": "PERSON"}, ['"The polls', "The Harbor"]) == ["Ana Lima", "Ana Lima", None]


def test_a_pronoun_does_not_reach_past_a_caption() -> None:
    text = 'Ana Lima voted for the plan.\nPhoto Gallery (6 Images)\n"We might even go on a date night," she said.'
    people = {"Ana Lima": "PERSON", "Photo Gallery": "PERSON"}
    assert _speakers(text, people, ["Photo Gallery", '"We']) == [None]
    assert _speakers(text.replace("Photo Gallery (6 Images)\n", ""), {"Ana Lima": "PERSON"}, ['"We']) == ["Ana Lima"]


def test_a_sentence_the_model_cut_is_read_whole_for_the_people_it_names() -> None:
    # The model ends a sentence before "-- part of …": the cut-off part names Varga, the whole names two people.
    text = ('The email was sent on Monday.\nAna Lima -- part of the campaign for candidate Tomas Varga that sent it '
            '-- agrees.\n"We want to be as personal as possible," he told reporters.')
    cuts = ["Ana Lima", "-- part", '"We']
    assert _speakers(text, {"Ana Lima": "PERSON", "Tomas Varga": "PERSON"}, cuts) == [None]
    # a name opening a later paragraph before a dash is no dateline: it is the one the pronoun means
    one = text.replace(" for candidate Tomas Varga", "")
    assert _speakers(one, {"Ana Lima": "PERSON"}, cuts) == ["Ana Lima"]


def test_a_pronoun_does_not_mean_the_object_of_a_described_subject() -> None:
    text = ('The harbor columnist then invited Varga to his home, to meet his family, and to "call me a liar to my '
            'face," he said.')
    assert _speakers(text, {"Varga": "PERSON"}) == [None]


def test_a_pronoun_does_not_mean_a_person_named_after_someone_in_a_preposition() -> None:
    text = ('From Tomas Varga, there were no more posts attacking Lima for a "witch hunt against the port."\n'
            '"It is a shame that the port had to go through this," he told reporters.')
    assert _speakers(text, {"Tomas Varga": "PERSON", "Lima": "PERSON"}, ['"It']) == [None, None]


@pytest.mark.parametrize(("text", "names", "expected"), [
    # A name after a preposition and a title is that preposition's object, not the verb's subject ...
    ('The envoy Ana Lima, in Oslo for talks with Harbor Secretary of Trade Tomas Varga, said the plan was "a step '
     'too far for the port."', {"Ana Lima": "PERSON", "Tomas Varga": "PERSON"}, ["Ana Lima"]),
    ('MAYOR, referring to Harbor’s Tomas Varga: "You praised the council for its work on the port last year."',
     {"Tomas Varga": "PERSON"}, [None]),
    # ... unless the preposition is the title's own ("Secretary for Ports"), or the name is a participle's subject.
    ('Secretary for Ports Tomas Varga said on Monday that the strike "only shows why the deal matters now."',
     {"Tomas Varga": "PERSON"}, ["Tomas Varga"]),
    ('Unions were not convinced, with Harbor Rep. Tomas Varga saying "it still does not pay the crews enough."',
     {"Tomas Varga": "PERSON"}, ["Tomas Varga"]),
    # A pronoun opening the sentence is the subject of the verbs joined on to its clause, not the name between.
    ('He introduced the poet Tomas Varga, 86, to long applause and said: "Tomas, your work gives the port a voice."',
     {"Tomas Varga": "PERSON"}, [None]),
    ('Ana Lima thanked the crews to long applause and said: "Your work gives the port a voice and a future."',
     {"Ana Lima": "PERSON"}, ["Ana Lima"]),
    # After "called", title-cased words are a title even when a full stop ends them.
    ('Ana Lima, you wrote a column called "Stop Telling Workers They Must Wait for the Port."',
     {"Ana Lima": "PERSON"}, []),
])
def test_attribution_guards_of_the_ninth_extension(text: str, names: Names, expected: list[str | None]) -> None:
    assert _speakers(text, names) == expected


@pytest.mark.parametrize(("text", "names", "expected"), [
    # A name a few words before a colon introduces the quote; further back it is the subject of a clause that tells
    # of something else, what follows the colon being heard, read or meant rather than said by it.
    ('Ana Lima left the pier to the sound of a brass band playing: "We shall not be moved, not today, not ever."',
     {"Ana Lima": "PERSON"}, [None]),
    ('Ana Lima had a harder problem to solve at the port, namely: "the sense that the crews were never told."',
     {"Ana Lima": "PERSON"}, [None]),
    ('Harbor Senator Ana Lima on the strike: "The crews deserve to be paid in full."', {"Ana Lima": "PERSON"},
     ["Ana Lima"]),
    # A number is neither case: title-cased words with one are a title, not words said.
    ('"The port has never been busier," Ana Lima said on "Harbor Report 360."', {"Ana Lima": "PERSON"},
     ["Ana Lima"]),
])
def test_attribution_guards_of_the_tenth_extension(text: str, names: Names, expected: list[str | None]) -> None:
    assert _speakers(text, names) == expected

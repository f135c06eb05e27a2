"""Quotes: text inside quotation marks, attributed to the person the article says spoke it.

The common patterns of news writing, in order:

- a speech verb in the quote's clause, the one nearest the quote (after it first, '"…," said Elena Brandt', unless a
  conjunction starts another clause there; else before it), and its subject: after the quote, the name between quote and
  verb, else the name right after a verb that adjoins the quote ('"…," said Brandt'; not '"…" and said Brandt', another
  clause, nor '"…," an aide told Brandt', whom it was said to); before the quote, the nearest name before the verb
  ('Hong Min … told Yonhap the images shape a "victory narrative"'), or the one "according to" names. A pronoun or a
  common noun as the subject ("he explained that …", '"…," the source said of Brandt', "one Senate GOP staffer said")
  names nobody here. A name after a preposition (and a title: "talks with Secretary of State Ana Lima") or a
  quantifier ("a", "one", "many"), inside an appositive, used as a modifier or possessor ("Obama-era", "Ayotte's",
  "DeVos' nomination"), a dateline, or inside another quote does not speak; a participle or a verb joined on ("…, the
  source said, adding", "… and said") takes the clause's subject, a pronoun when one opens the sentence;
- the evidence must be direct: after the quote, the name adjoins it (a few words at most between the closing mark and
  the name: the verb, a day, a title), since a name further on sits in a clause or an appositive that may be about
  someone else ('"…," Ana Lima, a professor under Tomas Varga, writes' names Varga last); before the quote, the quote
  follows its verb closely, since a quote deep inside reported speech ("Lima said the plan, which the council approved
  after talks with Varga, was "…"") is as often a phrase of someone the report is about, or a term, as the reporter's
  subject's own words; and the name before the verb is its subject (next to it, or with an appositive or a participle
  between), not a name of another clause;
- a speech verb with a pronoun as its subject ('…," she said'; not "the chair said he …"): the last quote's speaker when
  nobody is named after its sentence, else the first person named in the last sentence that names one (the quote's own
  sentence up to the pronoun first, then back to the paragraph before), skipping objects of prepositions and names with
  the other gender's title; when another could be meant (two people named, a description as the subject, a caption
  between: ``antecedents.pronoun_antecedent``), the quote gets no speaker; nor does a fragment of a few words (the
  length of a scare quote) get one through a pronoun: a phrase that short is as often one the writer takes up from
  someone the sentence is about as the subject's own words, and with a pronoun for its subject, the two doubts compound;
- no speech verb, but a colon before the quote with a name a few words before it ('Senator Okafor: Bill Is "…"'):
  that name, unless it is the object of a preposition ('compares him to Okafor: "…"'), as anywhere else;
- no speech verb, but the paragraph's previous quote has a speaker: a quote that opens its sentence continues it ('"We
  will win," said Brandt. "The polls are wrong."'); one inside the writer's own sentence ("The group's ads make claims
  such as "…"") need not be the same speaker's;
- otherwise nobody.

Only people speak: a quote whose speaker would be an organisation is left without one. The model's ORG names hold
outlets cited as sources, parties, agencies named as topics and tagging slips as often as they hold the group whose
statement is quoted, and a group's words come through a spokesman, a statement or a report whose wording the
article seldom ties to it as directly as to a person; a person named that way is far more often the one who spoke.

A few words in quotation marks with no speech verb in their clause, or after "called", "dubbed" or "so-called", are
scare quotes or a term ('called it a "big deal"'), and title-cased words (a full stop makes a sentence of them,
except after "called"), or any after "titled" or right after a work's noun ('her book "…"'), are a title ("Meet
the Press", "State of the Union."): not something said, so they are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tasks.nlp.antecedents import Span, described, pronoun_antecedent
from tasks.nlp.speech import NAMING, SPEECH, verb_and_clause_end

# Opening and closing marks need not match (typed "…” or “…" happen), and a quote never crosses a paragraph: one
# that runs on into the next paragraph opens it again, and an unclosed one ends where its paragraph does.
_QUOTE = re.compile(r"[“\"«„]([^“”\"«»„\n]{3,2000})(?:[”\"»“]|(?=\n)|$)")
# A name used as a modifier or possessor ("Obama-era", "Ayotte's path", "DeVos' nomination") does not speak.
_MODIFIER = re.compile(r"-\w|['’]s\b|['’](?=\s)")
_NAMED_AS = re.compile(r"\b(?:dubbed|termed|nicknamed|labell?ed|branded|so-called|known as)\s+(?:\w+\s+){0,2}$",
                       re.IGNORECASE)
_CALLED = re.compile(r"\b(?:called|named)[\s,:]*$")  # what follows names something: its words are a title
_TITLED = re.compile(r"\b(?:titled|entitled|headlined|headline)[\s,:]*$"  # a title, however long; so is what
                     r"|\b(?:book|memoir|manifesto|novel|film|movie|documentary|album|song|essay|op-ed|podcast)\s+$",
                     re.IGNORECASE)  # follows a work's noun with no comma ('his book "…"'; 'his book, "…"' quotes it)
# A name right after one of these verbs (and the capitalised words of its phrase: "told Fox News' Jo Ray") is its
# object, the one spoken to or about, not the one whose verb it is (though a later "she replied" may mean her).
_TO_SOMEONE = (r"told|tells|telling|urged|urges|thanked|thanking|praised|praising|critici[sz]ed|criticizing|accused|"
               r"accusing|interviewed|blamed|blaming|questioned|pressed|pressing")
_OBJECT = re.compile(rf"\b(?:{_TO_SOMEONE}|asked|asks|asking)\s+(?:[A-Z][\w.&'’-]*\s+)*$")
# What follows a dateline's place: "CAIRO (AP) — ", "PARIS, Texas — ".
_DATELINE = re.compile(r"(?:,?[ \t]+[A-Z][\w.]*)*(?:[ \t]*\([^)\n]{1,20}\))?[ \t]*[—–-]+[ \t]")
# "Clinton spokesman Nick Merrill", "Harbor Center President Ana Lima": the first name only says whose the role is.
_ROLE_BETWEEN = re.compile(r"\s+(?i:spokes(?:man|woman|person)|aide|adviser|advisor|official|chief|director|leader"
                           r"|president|secretary|senator|chairman|chairwoman|chair|ceo|founder|attorney|lawyer"
                           r"|analyst|reporter|correspondent|editor|host|minister|manager|press secretary)\s+")
# After a quote, "told Varga" names whom the words were said to ('"…," one aide told Varga'): these never invert
# ("asked Varga" does: '"…?" asked Varga').
_NOT_INVERTED = re.compile(rf"(?:{_TO_SOMEONE})\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:he|she)\b", re.IGNORECASE)
_ADVERB = r"(?:\w+ly|also|later|then|has|had|have|once|again)\s+"  # between a subject and its verb
# What may follow "the <name>" when it names ("the White House said", "the Pentagon in a statement"); any other
# lowercase word is a common noun the name describes ("the GOP leader", "the Iowa operative").
_CONNECTIVE = r"(?:and|or|but|that|which|who|to|of|in|on|at|for|with|by|from|as)\s"  # ends no subject
_THE_NAME_NOUN = re.compile(rf"\s+(?!{_CONNECTIVE}|{_ADVERB}|{SPEECH.pattern})[a-z]", re.IGNORECASE)
# "He introduced Lima and said": a pronoun opening the sentence is the subject of the verbs joined on to its clause.
_OPENING_PRONOUN = re.compile(r"\W*(?:he|she)\b", re.IGNORECASE)
# "he explained that Trump …": a pronoun right before the verb is its subject, whoever is named after the verb.
_PRONOUN_SUBJECT = re.compile(rf"\b(?:he|she)\s+(?:{_ADVERB})?$", re.IGNORECASE)
# "the senior aide said", "his lawyers writing": a common noun is the verb's subject, and nobody is named.
_COMMON_SUBJECT = (rf"\b(?i:the|a|an|one|another|his|her|their|its|two|three|several|some|many)\s+"
                   rf"(?:[\w.’'-]+\s+){{0,4}}?(?!{_ADVERB}|{_CONNECTIVE})[a-z][\w-]*\s+(?:{_ADVERB})?$")
_NOUN_SUBJECT = re.compile(_COMMON_SUBJECT)  # "Brandt, the mayor, said" names her: the comma ends no subject
_NOUN_AFTER_QUOTE = re.compile(r"\W*" + _COMMON_SUBJECT)  # '"…," the source said'
_TITLE_SMALL_WORDS = frozenset(str.split("a an the of and or in on at to for with by from"))
_WORD = re.compile(r"\w+")
_JOINED = re.compile(r"\b(?:and|but)\s+(?:also\s+|then\s+)?$", re.IGNORECASE)  # "…, but added", "and then said"
MAX_WORDS_TO_NAME = 5  # after a quote: '," said Senate Majority Leader Ana Lima', '," Lima said Sunday'
MAX_REPORTED_WORDS = 8  # between a verb and its quote: 'said on Monday that the plan was "…"'
MAX_WORDS_TO_VERB = 3  # between a subject and its verb: "Lima has also said"
MIN_WORDS = 2
MAX_SCARE_WORDS = 4  # "big deal", "fake news", "a deal of the century": a term, not a statement
SPEAKER_LABELS = ("PERSON", "ORG")


@dataclass(frozen=True, slots=True)
class Quote:
    sentence_index: int
    start: int  # offsets of the quoted words, inside the quotation marks
    end: int
    speaker_start: int | None  # offset of the speaker's mention, if attributed


def find_quotes(text: str, sentences: Sequence[tuple[int, int]], mentions: Sequence[Span]) -> list[Quote]:
    """Quotes in ``text``; ``sentences`` and ``mentions`` ((start, end, label)) are offsets into it."""
    matches = list(_QUOTE.finditer(text))
    speakers = sorted(m for m in mentions if _named(text, m) and not any(q.start() <= m[0] < q.end() for q in matches))
    # "Harbor Party spokesman Tomas Varga", "President Pro Tempore Tomas Varga": the first only says whose role it is
    speakers = [m for i, m in enumerate(speakers) if not (i + 1 < len(speakers) and (
        _ROLE_BETWEEN.fullmatch(text, m[1], speakers[i + 1][0]) or text[m[1]:speakers[i + 1][0]] == " "))]
    found: list[Quote] = []
    people = {m[0] for m in speakers if m[2] == "PERSON"}
    paragraph_speaker: tuple[int, int | None] = (-1, None)  # (paragraph start, speaker of its last quote)
    spoken: tuple[int, int] | None = None  # (offset, speaker) of the last quote with a speaker
    for match in matches:
        start, end = match.span(1)
        words = text[start:end].split()
        index = next((i for i, (s, e) in enumerate(sentences) if s <= match.start() < e), None)
        named_so = _CALLED.search(text, max(0, match.start() - 12), match.start()) is not None
        if (len(words) < MIN_WORDS or index is None or _title_cased(words, named_so)
                or _TITLED.search(text, max(0, match.start() - 16), match.start())):
            continue
        first = sentences[index][0]
        paragraph = text.rfind("\n", 0, match.start()) + 1
        short = len(words) <= MAX_SCARE_WORDS
        verb, last = verb_and_clause_end(text, sentences, index, match)
        if short and ((verb is not None and text[verb:].lower().startswith(NAMING))
                      or _NAMED_AS.search(text, max(first, match.start() - 30), match.start())):
            verb = None  # 'called it a "big deal"', 'dubbed the "9th Circus"': a name for something, not a statement
        if verb is None and short:
            continue
        direct: int | None = None  # the speaker the quote's own clause names
        if verb is None:
            speaker = _before_colon(text, first, match.start(), speakers)
            if speaker is None and paragraph_speaker[0] == paragraph and not _WORD.search(text, first, match.start()):
                speaker = paragraph_speaker[1]
        else:
            speaker = _named_speaker(text, first, last, verb, match.span(), speakers)
            direct = speaker
            # the verb's subject, before it and not inside the quote ("the counsel said he …": "he" is not)
            pronoun = next((p for p in _PRONOUN.finditer(text, max(first, verb - 20), verb)
                            if not match.start() <= p.start() < match.end()), None)
            if speaker is None and pronoun:
                # the quote's own sentence up to the quote or the pronoun, then the sentences before it
                lead = [(first, min(match.start(), pronoun.start()))]
                speaker = pronoun_antecedent(text, [*sentences[:index], *lead], paragraph, speakers, spoken,
                                          pronoun.group())
        # an organisation still stands where it is named (its quote is nobody else's) but is never the speaker
        # a fragment's speaker only by name (a pronoun and a few words are two weak links, not one strong one)
        named = speaker in people and not (short and direct is None)
        found.append(Quote(index, start, end, speaker if named else None))
        paragraph_speaker = (paragraph, speaker)
        spoken = (match.start(), speaker) if speaker is not None else spoken
    return found


def _title_cased(words: list[str], named_so: bool = False) -> bool:
    """A title or a name in quotation marks ("Meet the Press", "New Day", "State of the Union."), not words said:
    every word but the small ones and numbers capitalised. Some outlets capitalise every word of a quoted sentence:
    more than four words ending in a full stop, or a speaker's "I", make it a sentence; but not after "called" or
    "named" ('a column called "Stop Telling Them What They Must Do."': the full stop is the writer's)."""
    content = [w for w in (w.strip(".,;:!?()") for w in words)  # numbers are neither case ("Newsroom 360")
               if w.lower() not in _TITLE_SMALL_WORDS and not w[:1].isdigit()]
    sentence = (len(words) > 4 and words[-1].endswith((".", "?", "!")) and not named_so) or any(
        w == "I" or w.startswith(("I'", "I’")) for w in content)
    return len(content) >= 2 and all(w[:1].isupper() for w in content) and not sentence


def _before_colon(text: str, first: int, quote: int, mentions: Sequence[Span]) -> int | None:
    """'Senator Lena Okafor: Bill Is "…"': the speaker named before a colon that introduces the quote's clause,
    when few words stand between them (as after a quote): further back, the name is the subject of a clause that
    tells of something else ('Okafor left the stage to the strains of a band singing: "…"')."""
    colon = text.rfind(":", first, quote)
    for label in SPEAKER_LABELS if colon >= 0 else ():
        named = [m for m in mentions if m[2] == label and first <= m[0] and m[1] <= colon
                 and not described(text, first, m)]
        if named:
            nearest = max(named)
            return nearest[0] if len(_WORD.findall(text, nearest[1], colon)) <= MAX_WORDS_TO_NAME else None
    return None


def _named(text: str, mention: Span) -> bool:
    """A mention that can name a speaker: whole words ("’s agenda", "pro-Trump", "Obama" of "Obamacare" are
    tagging slips), not a modifier or possessor, not a dateline ("PHILADELPHIA — She said …"), and not a name
    between "the" and a common noun ("the GOP leader said", "said the Iowa operative")."""
    start, end = mention[0], mention[1]
    first = text[start]
    whole = first.isalnum() and not first.islower() and not text[end:end + 1].isalnum()
    # a dateline opens the article ("Lima -- part of Varga's team -- said" opens a paragraph further on)
    dateline = text[start - 1:start] in ("", "\n") and _DATELINE.match(text, end) and (
        text[start:end].isupper() or "\n" not in text[:start].lstrip())
    described = text[max(0, start - 4):start].lower() == "the " and _THE_NAME_NOUN.match(text, end)
    return whole and not _MODIFIER.match(text, end) and not dateline and not described


def _named_speaker(text: str, first: int, last: int, verb: int, quote: tuple[int, int],
                   mentions: Sequence[Span]) -> int | None:
    """The name the speech verb goes with (a person before an organisation at the same place). After the quote,
    what stands between it and the verb speaks: a name ('"…," Brandt said'), else nobody named when a pronoun or a
    common noun does ('"…," he said' is left to the pronoun, '"…," the source said of Brandt' is unnamed); else the
    name right after the verb ('"…," said Brandt'), then a name before the quote ('Brandt called the plan "…,"
    adding'). Before the quote, the verb's subject: nobody named when it is a pronoun or a common noun ("he
    explained that Brandt …", "the senior aide said Brandt …"), else the nearest name before the verb, then the one
    after "according to" ('according to Brandt, "…"'). Only a name that adjoins the quote after it, or a verb close
    before the quote, counts (the module's docstring says why)."""
    quote_end = quote[1]
    candidates = [m for m in mentions if m[2] in SPEAKER_LABELS and first <= m[0] and m[1] <= last
                  and not described(text, first, m)]
    before = [m for m in candidates if m[1] <= verb and not _OBJECT.search(text, max(first, m[0] - 60), m[0])]
    after = [m for m in candidates if verb < m[0] <= verb + 40]
    if _PRONOUN_SUBJECT.search(text, max(first, verb - 24), verb):
        return None
    if verb >= quote_end:
        between = [m for m in before if m[0] >= quote_end]
        if between:
            return _adjoining(text, quote_end, _pick(between, max))
        if _PRONOUN.search(text, quote_end, verb) or _NOUN_AFTER_QUOTE.match(text, quote_end, verb):
            return None
    elif _NOUN_SUBJECT.search(text, max(first, verb - 60), verb):
        return None
    if verb >= quote_end and after and not _WORD.search(text, quote_end, verb) and not _NOT_INVERTED.match(text, verb):
        return _adjoining(text, quote_end, _pick(after, min))  # '"…," said Brandt', not '"…" and said Brandt'
    if verb >= quote_end and not _participle(text, verb):
        return None  # only a participle ('…," adding') reaches back to a name before the quote
    if before and verb < quote_end and len(_WORD.findall(text, verb, quote[0])) - 1 > MAX_REPORTED_WORDS:
        return None  # the quote is deep inside reported speech
    if before:
        subject = _pick(before, max)
        return subject if verb >= quote_end or _subject_of(text, first, subject, verb, mentions) else None
    # Before the quote, a name after the verb is its object ("told Brandt", "chastising Brandt for"), except the
    # source "according to" names.
    return _pick(after, min) if after and text[verb:verb + 9].lower() == "according" else None


def _participle(text: str, verb: int) -> bool:
    """A verb in -ing ("adding", "saying"); "according to" is not one: it names its own source."""
    word = text[verb:text.find(" ", verb)].lower()
    return word.endswith("ing") and word != "according"


def _adjoining(text: str, quote_end: int, speaker: int) -> int | None:
    """The speaker named after the quote, when few enough words stand between them."""
    return speaker if len(_WORD.findall(text, quote_end, speaker)) <= MAX_WORDS_TO_NAME else None


def _subject_of(text: str, first: int, speaker: int, verb: int, mentions: Sequence[Span]) -> bool:
    """Whether the name before a speech verb is its subject: a few words at most between them ("Lima also said"),
    or an appositive ("Lima, a senator, said", "Lima (D-Ore.) said", "Lima — who ran in May — said"), or a verb that
    is a participle or joined by "and"/"but", which takes the clause's subject however far ("Lima praised the
    plan in May, saying", "Lima told Varga she may run, but added").
    Otherwise the name belongs to another clause ("When Lima asked about it, the mayor replied") and, the subject
    not being a name the model found, nobody is named. Nor is the name the subject of a joined verb when a pronoun
    opens the sentence: that is the subject ("He introduced Lima and said", "She called Lima "…" and added")."""
    end = next(m[1] for m in mentions if m[0] == speaker)
    between = text[end:verb]
    participle = _participle(text, verb) or bool(_JOINED.search(text, end, verb))
    if participle and _OPENING_PRONOUN.match(text, first, speaker):
        return False
    appositive = between.lstrip().startswith((",", "(", "—", "–", "-"))
    return participle or appositive or len(_WORD.findall(between)) <= MAX_WORDS_TO_VERB


def _pick(mentions: Sequence[Span], nearest: Callable[..., Span]) -> int:
    """The nearest person among the mentions, else the nearest of them."""
    people = [m for m in mentions if m[2] == "PERSON"]
    return nearest(people or mentions, key=lambda m: m[0])[0]

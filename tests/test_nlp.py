"""NLP: the real model; offsets that index the text; sentences that respect paragraphs; entity keys."""

from __future__ import annotations

import pytest

from tasks.clean import clean_record
from tasks.names import display_name, entity_key
from tasks.nlp import analyze, default_model, load_model, sentence_spans
from tasks.nlp.analyze import reads
from tasks.records import CleanArticle, RawRecord


def _article(text: str, source_uri: str = "t.txt") -> CleanArticle:
    article = clean_record(RawRecord(source_uri=source_uri, source_format="json", text=text))
    assert isinstance(article, CleanArticle)
    return article


def test_model_is_loaded_once_with_only_what_the_tables_need() -> None:
    nlp = load_model(default_model())
    assert load_model(default_model()) is nlp
    assert nlp.pipe_names == ["senter", "ner"]
    assert nlp.meta["version"] == "3.8.0"


@pytest.mark.parametrize("variant", ["Kim Jong-un", "KIM Jong-un", "Kim Jong Un", "Kim Jong-Un", "Kim Jong Un’s",
                                     "kim jong‑un"])
def test_name_variants_share_one_key(variant: str) -> None:
    assert entity_key(variant) == "kim jong un"


def test_different_people_keep_different_keys() -> None:
    assert entity_key("Kim Ju-ae") != entity_key("Kim Jong Un")
    assert entity_key("José Martí") == entity_key("Jose Marti")
    assert entity_key("the United Nations") == entity_key("United Nations")
    assert display_name("Putin’s") == "Putin"


def test_sentence_spans_split_at_line_breaks_and_trim() -> None:
    text = "First one.\n\nSecond para here. Third.  "
    # one model "sentence" spanning the paragraph break is split in two
    assert list(sentence_spans(text, [(0, 30), (30, len(text))])) == [(0, 10), (12, 29), (30, 36)]


def test_analyze_gives_offsets_into_the_article_text() -> None:
    text = ("KIM Jong-un wept at the ceremony in Pyongyang.\n\n"
            "Russian Culture Minister Olga Lyubimova attended. Kim Jong Un thanked Vladimir Putin’s envoys.")
    article = _article(text)
    rows = analyze([article], default_model())
    sentences = rows.sentences.to_pylist()
    assert rows.sentence_counts == {article.article_id: len(sentences)}
    assert [s["sentence_index"] for s in sentences] == list(range(len(sentences)))
    for s in sentences:
        assert text[s["char_start"]:s["char_end"]] == s["text"]
        assert "\n" not in s["text"]
    assert sentences[0]["text"] == "KIM Jong-un wept at the ceremony in Pyongyang."
    mentions = rows.entities.to_pylist()
    assert mentions, "the model found no entities"
    for m in mentions:
        assert text[m["char_start"]:m["char_end"]] == m["text"]
        s = sentences[m["sentence_index"]]
        assert s["char_start"] <= m["char_start"] < s["char_end"]
    assert {(m["label"], m["name_key"]) for m in mentions if entity_key(m["text"]) == "kim jong un"} == {
        ("PERSON", "kim jong un")}
    assert {"Olga Lyubimova", "Pyongyang"} <= {m["text"] for m in mentions}


def test_analyze_handles_many_articles_in_one_batch() -> None:
    articles = [_article(f"Article {i} says Angela Merkel visited Paris.", f"{i}.txt") for i in range(5)]
    rows = analyze(articles, default_model(), pipe_batch=2)
    assert set(rows.sentence_counts) == {a.article_id for a in articles}
    assert rows.entities.num_rows >= 5


def test_chinese_and_japanese_sentences_end_at_their_stops() -> None:
    text = "議会は予算を可決した。市長は「続ける」と述べた。本当か？\nThe ferry runs daily. It's cheap."
    spans = list(sentence_spans(text, [(0, len(text))]))  # one model sentence, as an English model gives it
    assert [text[a:b] for a, b in spans] == ["議会は予算を可決した。", "市長は「続ける」と述べた。", "本当か？",
                                           "The ferry runs daily. It's cheap."]
    english = "The council met. It voted."
    assert list(sentence_spans(english, [(0, 16), (17, 26)])) == [(0, 16), (17, 26)]  # no CJK stop: as the model


def test_word_count_counts_each_chinese_or_japanese_character() -> None:
    article = _article("The council met. 市議会は予算を可決した。", "wc.txt")
    assert article.word_count == 3 + 11  # three English words, eleven kana and Han characters (the stop is not)


THAI = "นายกรัฐมนตรีเดินทางไปเชียงใหม่เมื่อวันจันทร์ เขาพบกับผู้ว่าราชการจังหวัด ทั้งสองหารือเรื่องน้ำท่วม"


def test_thai_sentences_are_found_without_stops() -> None:
    text = f"{THAI}\nThe ferry runs daily. It is cheap."
    spans = list(sentence_spans(text, [(0, len(text))]))  # one model sentence, as an English model gives it
    assert [text[a:b] for a, b in spans] == ["นายกรัฐมนตรีเดินทางไปเชียงใหม่เมื่อวันจันทร์", "เขาพบกับผู้ว่าราชการจังหวัด",
                                           "ทั้งสองหารือเรื่องน้ำท่วม", "The ferry runs daily. It is cheap."]


def test_word_count_cuts_thai_into_words() -> None:
    # "The prime minister travelled to the north on Monday ...": 15 dictionary words in three space-separated phrases.
    assert _article(f"{THAI} The end.", "th.txt").word_count == 15 + 2


def test_the_english_model_reads_english_and_english_based_creoles_only() -> None:
    assert reads("en", "en") and reads("en", None) and reads("en", "pcm")
    assert not reads("en", "es") and not reads("fr", "pcm")


def _quote_speakers(text: str) -> list[tuple[str, str | None]]:
    """Each quote the real model and the quote rules find in ``text``, with the words of its speaker's mention."""
    article = _article(text)
    rows = analyze([article], default_model())
    names = {m["char_start"]: m["text"] for m in rows.entities.to_pylist()}
    return [(q["text"], names.get(q["speaker_char_start"])) for q in rows.quotes.to_pylist()]


def test_only_people_speak() -> None:
    text = ('"We will review every contract," the Northwind Shipping Company said in a statement on Tuesday. '
            '"The crews will be paid in full," said Maria Olsen.')
    assert _quote_speakers(text) == [("We will review every contract,", None),
                                     ("The crews will be paid in full,", "Maria Olsen")]


def test_a_name_after_the_quote_speaks_only_when_it_adjoins_it() -> None:
    # The verb and a title may stand between quote and name; a name at the end of a long appositive is not the
    # speaker's (rather nobody than the governor).
    assert _quote_speakers('"The bridge will open in May," said Senate Majority Leader Maria Olsen.') == [
        ("The bridge will open in May,", "Maria Olsen")]
    assert _quote_speakers('"The bridge will open in May," Maria Olsen, who chaired the harbor board under Governor '
                           'Peter Lund for years, said.') == [("The bridge will open in May,", None)]


def test_a_quote_deep_inside_reported_speech_has_no_speaker() -> None:
    assert _quote_speakers('Maria Olsen said the plan was "a gift to the shipping lobby."') == [
        ("a gift to the shipping lobby.", "Maria Olsen")]
    assert _quote_speakers('Maria Olsen said that the plan, which the council approved after months of talks with '
                           'the unions and the port, was "a gift to the shipping lobby."') == [
        ("a gift to the shipping lobby.", None)]


def test_a_pronoun_names_a_speaker_only_when_one_person_could_be_meant() -> None:
    assert _quote_speakers('Peter Lund arrived at the harbor on Monday. "The bridge will open in May," he said.') == [
        ("The bridge will open in May,", "Peter Lund")]
    assert _quote_speakers('Maria Olsen met Peter Lund at the harbor on Monday. "The bridge will open in May," he '
                           'said.') == [("The bridge will open in May,", None)]


def test_a_name_before_a_colon_speaks_unless_a_preposition_governs_it() -> None:
    assert _quote_speakers('Maria Olsen had a warning: "The bridge will not open in May."') == [
        ("The bridge will not open in May.", "Maria Olsen")]
    assert _quote_speakers('Another banner compares the mayor unfavorably to Peter Lund: "At least he built the '
                           'bridge for us."') == [("At least he built the bridge for us.", None)]


def test_a_name_before_the_verb_speaks_only_as_its_subject() -> None:
    assert _quote_speakers('Maria Olsen, a senator from the north, said: "The bridge will open in May."') == [
        ("The bridge will open in May.", "Maria Olsen")]
    assert _quote_speakers('Maria Olsen praised the plan at the harbor on Monday, saying it "will open the port to '
                           'the world."') == [("will open the port to the world.", "Maria Olsen")]
    # "they" is the subject here, not the name of the clause before it
    assert _quote_speakers('When Maria Olsen asked about the delays at the port, they replied: "The bridge will open '
                           'in May."') == [("The bridge will open in May.", None)]


def test_a_fragment_gets_no_speaker_through_a_pronoun() -> None:
    lead = "Peter Lund arrived at the harbor on Monday. "
    assert _quote_speakers(lead + 'He said the plan was "a gift to the shipping lobby."') == [
        ("a gift to the shipping lobby.", "Peter Lund")]
    assert _quote_speakers(lead + 'He said the plan was "a gift to lobbyists."') == [("a gift to lobbyists.", None)]
    assert _quote_speakers('Peter Lund said the plan was "a gift to lobbyists."') == [
        ("a gift to lobbyists.", "Peter Lund")]


def test_a_decimal_point_stays_in_the_key_and_other_full_stops_go() -> None:
    assert entity_key("$4.2 million") != entity_key("$42 million")
    assert entity_key("U.S.") == entity_key("US") and entity_key("No. 10") == "no 10"

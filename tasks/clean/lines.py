"""What a single line of page text looks like: caption credit, share button, byline, related-links header ...

Shared by the text-dump cleaner and the HTML path, so both drop the same boilerplate.
"""

from __future__ import annotations

import re

# "…coffinsCredit: Reuters", "… (Credit: Reuters)", "… (Reuters)", "Credit...Jane Roe/The Daily Ledger"
_GLUED_CREDIT = re.compile(r"(?:\(\s*)?Credits?\s*(?::|\.{2,}|…)\s*(?P<credit>[^()]{1,80}?)\s*\)?\s*$")
_PAREN_CREDIT = re.compile(
    r"\(\s*(?:(?:Photo|Image|Picture|Video)s?(?:\s+by)?\s*:?\s*)?"
    r"(?P<credit>(?:[A-Z][\w.&'’-]*|AP|AFP|EPA|X)(?:[ /][A-Z][\w.&'’-]*){0,5})\s*\)\s*$"
)
_SHARE = re.compile(
    r"^(?:share|tweet|email|print|follow|subscribe|sign up|click to share|share (?:this|on|via)|"
    r"copy link|save article|comments?)\b.{0,60}$",
    re.IGNORECASE,
)
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# What share bars say in the languages most news is published in, and the networks they name. A line made only of
# these words is a row of buttons, in any language: "Teilen Twittern E-Mail", "Partager sur Facebook", "シェア".
_SHARE_ACTIONS = _words("""
    share tweet email e-mail mail print comment comments whatsapp facebook twitter linkedin pinterest reddit telegram
    messenger xing tumblr flipboard bluesky threads vk weibo wechat
    teilen twittern drucken versenden kommentare kommentieren partager imprimer commenter commentaires courriel
    compartir imprimir comentarios comentar correo condividi stampa commenti commenta delen afdrukken reacties dela
    skriv udostępnij drukuj komentarze compartilhar partilhar comentários поделиться печать комментарии paylaş
    yazdır yorumlar kopieren copier copiar 共有 シェア 印刷 コメント 分享 打印 评论 공유 인쇄 댓글 مشاركة""")
_SHARE_FILLERS = _words("on via this article link copy ut sur auf en su op på na по per x le el lien enlace")
_TOKEN = re.compile(r"[\w-]+")
_RELATED = re.compile(
    r"^(?:you (?:may|might) (?:also )?like(?: these \w+)?|related(?: articles| stories| coverage| content)?|"
    r"more from .{1,40}|recommended(?: for you)?|read more|most (?:popular|read)|trending(?: now)?|"
    r"more stories|top stories|what to read next|up next|latest news|around the web|sponsored(?: content)?)"
    r"\s*:?$",
    re.IGNORECASE,
)
_LABELS = re.compile(
    r"^(?:published|updated|advertisement|ad|close|menu|search|home|video|watch|listen|"
    r"continue reading(?: the main story)?|story continues below(?: advertisement)?|skip to (?:main )?content|"
    r"image|photo|getty images|ap photo|loading\.*|enlarge this image)\W*$",
    re.IGNORECASE,
)
_BIO = re.compile(
    r"^(?:[\w'’-]+ ){0,5}[A-Z][\w.'’-]+ (?:is|was|has been|writes|covers) (?:a|an|the|for|about)?\b.{0,160}"
    r"\b(?:writer|reporter|correspondent|editor|journalist|contributor|producer|author|columnist|analyst for|"
    r"anchor|host|fellow|blog|column)\b",
)
_CAPTION_CUE = re.compile(
    r"^(?:file photo|image caption|photo ?(?:caption|credit)?:|picture:|in this (?:\w+ )?(?:photo|image|file)|"
    r"this (?:\w+ ){0,6}(?:file )?photo)|\b(?:pictured|photographed|(?:ap|afp|reuters|getty|epa) ?(?:photo|images)|"
    r"photograph:|reuters/|/reuters|/ap\b|/getty|/afp)\b",
    re.IGNORECASE,
)
# "… 01:49", "… 1:02:33"; not a time of day ("starts at 10:30")
_CLIP_LENGTH = re.compile(r"(?<!\bat)(?<!\bby)(?<!\buntil)(?<!\bfrom)(?<!\bto)(?<!\bbefore)(?<!\bafter)"
                          r"\s(?:\d{1,2}:)?[0-5]?\d:[0-5]\d$", re.IGNORECASE)
_MARKUP = re.compile(r"</?[a-z][a-z0-9]*(?:\s[^<>]*)?/?>", re.IGNORECASE)
_COMMENT_AUTHOR = re.compile(r"^[\w.@-]+(?: [\w.@-]+){0,2} (?:says|wrote|replied):$|^\d+ (?:responses?|comments?) to\b",
                             re.IGNORECASE)
_LEGAL = re.compile(
    r"\b(?:cookies?|privacy policy|terms of (?:use|service)|all rights reserved|copyright|newsletter|"
    r"subscribe|sign up|log ?in|javascript|your browser|ad ?blocker|support (?:us|our|\w+ and)|"
    r"learn more|click here|download (?:the|our) app|get (?:breaking|the latest)|listen (?:to|live)|"
    r"email address)\b|©",
    re.IGNORECASE,
)
_DOMAIN = re.compile(r"@?\b((?:[a-z0-9-]+\.)+(?:com|net|org|co\.uk|co|news|tv|uk|us|ca|au|de|fr|io|info))\b",
                     re.IGNORECASE)
_PROSE_END = re.compile(r"(?:[.!?…:;。！？]|[.!?,…。！？][\"”’')\]」』]+)$")


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def word_count(line: str) -> int:
    """Words, counting scripts written without spaces (Chinese, Japanese, Korean) at two characters a word."""
    cjk = len(_CJK.findall(line))
    return len(line.split()) + cjk // 2 if cjk else len(line.split())


_CARD_END = re.compile(r" MORE\b(?![A-Za-z])")  # the card's all-caps link
_GLUE = re.compile(r"[a-z](?=[A-Z])")  # "GillibrandThe": the card's name runs into its first headline
_MAX_CARD = 500  # characters: a name and three headlines


def without_link_cards(line: str) -> str:
    """A line without the link-preview cards some sites print after a person's name: the full name glued to a run
    of headlines about the person, closed by an all-caps "MORE" ("Sen. Ana Lima Ana Maria LimaPort vote passes …
    MORE (D-Ore.) said" → "Sen. Ana Lima (D-Ore.) said"). The name before the card says where it starts: the card
    repeats its surname, glued; with no such name before it, the text is left alone."""
    position = 0
    while (end := _CARD_END.search(line, position)) is not None:
        start = _card_start(line, max(position, end.start() - _MAX_CARD), end.start())
        if start is None:
            position = end.end()
            continue
        before, after = line[:start].rstrip(), line[end.end():].lstrip()
        line = before + ("" if after[:1] in ("", ",", ".", ";", ":", "!", "?", ")") else " ") + after
        position = len(before)
    return line


def _card_start(line: str, lo: int, hi: int) -> int | None:
    """Where the card ending at ``hi`` starts: after the last whole-word name before the first glued word whose
    front part is that name."""
    for glue in _GLUE.finditer(line, lo, hi):
        word_start = max(lo, line.rfind(" ", lo, glue.start()) + 1)
        surname = line[word_start:glue.end()]
        if len(surname) < 3 or not surname[0].isupper():  # "iPhone", "McDonald": not a name glued to a headline
            continue
        window = max(0, word_start - 120)
        visible = [m.end() for m in re.finditer(rf"\b{re.escape(surname)} ", line[window:word_start])]
        if visible:
            return window + visible[-1]
    return None


def caption_credit(line: str) -> str | None:
    """The photo credit at the end of a caption line, or None."""
    match = _GLUED_CREDIT.search(line) or _PAREN_CREDIT.search(line)
    if not match:
        return None
    credit = match.group("credit").strip(" .:")
    if "/" in credit:  # "Jane Roe/The Daily Ledger" -> the agency or outlet after the slash
        credit = credit.rsplit("/", 1)[1].strip()
    return credit or None


def is_share(line: str) -> bool:
    """A share, print or comment button, or a row of them, in English or another language."""
    if _SHARE.match(line) and word_count(line) <= 8:
        return True
    tokens = _TOKEN.findall(line.casefold())
    return (0 < len(tokens) <= 8 and any(t in _SHARE_ACTIONS for t in tokens)
            and all(t in _SHARE_ACTIONS or t in _SHARE_FILLERS for t in tokens))


def is_related_header(line: str) -> bool:
    return bool(_RELATED.match(line))


def is_label(line: str) -> bool:
    """A one-word or short page label ("Advertisement", "Skip to content"), or a video teaser: a title followed by
    the clip's length ("Officials tour the site 02:14"), the way video playlists list their clips."""
    return bool(_LABELS.match(line)) or (bool(_CLIP_LENGTH.search(line)) and not ends_like_prose(line[:-6]))


def is_bio(line: str) -> bool:
    return bool(_BIO.match(line)) and word_count(line) <= 60


def domain_in(line: str) -> str | None:
    match = _DOMAIN.search(line)
    return match.group(1).lower().removeprefix("www.") if match else None


def is_legal(line: str) -> bool:
    """Cookie, copyright, newsletter, login and donation notices (short lines, or several notice phrases)."""
    hits = len(_LEGAL.findall(line))
    return hits > 0 and (word_count(line) <= 25 or hits > 1) and word_count(line) <= 80


def is_caption_cue(line: str) -> bool:
    """A photo caption without a bracketed credit: "FILE PHOTO: …", "… pictured at …", "REUTERS/Jane Doe"."""
    return bool(_CAPTION_CUE.search(line)) and word_count(line) <= 80


def is_markup(line: str) -> bool:
    """Raw HTML left in the text (a template the page never rendered)."""
    return bool(_MARKUP.search(line))


def is_comment_header(line: str) -> bool:
    """The head of a reader comment or comment section: "reader42 says:", "34 responses to …"."""
    return bool(_COMMENT_AUTHOR.match(line))


def is_teaser(line: str) -> bool:
    """A promo: a long headline-shaped line."""
    return is_headline_like(line) and word_count(line) > 14


def is_cut_off(line: str) -> bool:
    """Text that ends in an ellipsis: a truncated teaser outside the body, a trailing thought inside it."""
    return line.rstrip().endswith(("…", "..."))


def ends_like_prose(line: str) -> bool:
    """Ends as a sentence does: a full stop, question or exclamation mark, colon, or one inside closing quotes."""
    return bool(_PROSE_END.search(line.rstrip()))


def is_headline_like(line: str) -> bool:
    """A line shaped like a headline, teaser or alt text: no closing punctuation and no clause commas."""
    n = word_count(line)
    return 2 <= n <= 40 and not ends_like_prose(line) and ("," not in line or n <= 12)


def is_prose(line: str, min_words: int = 6) -> bool:
    """A line shaped like a body paragraph: a sentence that ends, or a long comma-bearing clause."""
    n = word_count(line)
    if n < min_words:
        return False
    return ends_like_prose(line) or (("," in line or "、" in line) and n >= 15)

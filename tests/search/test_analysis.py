"""The analyzer on real phrases from the policy seeds (shared/seeds/): the domain dictionary
fixes jieba's out-of-the-box mistakes."""

import re
from pathlib import Path

import pytest

from marketplace.search import analysis

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def seed_sentence(word):
    """The first sentence of the seeds that contains `word` (the seeds are the real texts)."""
    for path in sorted(SEEDS.glob("*.txt")):
        match = re.search(r"[^。\n]*" + re.escape(word) + r"[^。\n]*", path.read_text(encoding="utf-8"))
        if match:
            return match.group(0)
    pytest.skip(f"{word} not in the seeds")


def finds(query, text):
    """Does a search for `query` find `text`? (every query word, or all its covering sub-words)"""
    terms = set(analysis.index_terms(text))
    return all(word in terms or (subs and all(s in terms for s in subs)) for word, subs in analysis.query_words(query))


@pytest.mark.parametrize(("query", "seed_word"), [
    ("养老", "养老服务数字化"),
    ("就医", "便捷就医服务"),
    ("通办", "一网通办"),
    ("一网通办", "一网通办"),
    ("统管", "一网统管"),
    ("揭榜挂帅", "揭榜挂帅"),
    ("适老化", "适老化改造"),
    ("改造", "适老化改造"),
])
def test_seed_phrases_are_found(query, seed_word):
    sentence = seed_sentence(seed_word)
    assert finds(query, sentence), (query, sentence, analysis.index_terms(sentence))


def test_smart_elderly_care_compound():
    assert finds("养老", "智慧养老服务")
    assert finds("智慧养老", "智慧养老服务")
    assert finds("就医", "便捷就医服务2.0")


def test_dictionary_fixes_yiwangtongban():
    """Out of the box 一网通办 segments as 网通/一网通/办, so 通办 was not found."""
    assert "一网通办" in analysis.index_terms("一网通办智能预审")
    assert "通办" in analysis.index_terms("一网通办智能预审")


def test_shilaohua_is_not_laohua():
    """适老化改造 must not be a hit for 老化 (ageing of materials): a wrong-meaning match."""
    sentence = seed_sentence("适老化改造")
    assert "老化" not in analysis.index_terms(sentence)
    assert not finds("老化", "优化老年人居家环境适老化改造试点范围")
    assert finds("老化", "管网设施老化严重")


@pytest.mark.parametrize(("query", "text"), [
    ("5G", "推进5G网络全覆盖"), ("5g", "5G智慧工地"), ("AI", "消防AI作战"), ("ai", "AI分诊导诊"),
    ("PUE", "数据中心PUE值低于1.3"), ("2.0", "便捷就医服务2.0"),
])
def test_mixed_chinese_english_digits(query, text):
    assert finds(query, text), analysis.index_terms(text)


def test_domain_terms_kept_whole():
    for word in ["一网统管", "免申即享", "揭榜挂帅", "数字孪生", "智慧养老", "便捷就医", "适老化"]:
        assert word in analysis.cut(word + "场景"), analysis.cut(word + "场景")


def test_jieba_cache_is_private(app):
    import jieba  # noqa: F401 - the global tokenizer is never used by search

    tok = analysis.configure()
    assert tok.tmp_dir is None or not str(tok.tmp_dir).startswith("/tmp/jieba")
    assert analysis.dictionary_hash() == analysis.dictionary_hash()


def _whole_text_terms(text, indexing=True):
    """The terms of `text` cut in one piece by jieba (the analyzer before it cut line by line)."""
    out, offset = [], 0
    for word in analysis._tok().cut(text):
        begin, offset = offset, offset + len(word)
        low = word.strip().lower()
        if not low or not analysis._is_word(low) or low in analysis.STOP_WORDS:
            continue
        if indexing:
            out += [(g.lower(), begin + s, begin + e) for g, s, e in analysis.subwords(word)]
        out.append((low, begin, begin + len(word)))
    return [(t, pos, s, e) for pos, (t, s, e) in enumerate(out)]


def test_lines_are_cut_once_and_give_the_terms_of_the_whole_text():
    analysis.configure()
    text = "徐汇区民政局：智慧养老服务场景（2024年第3批）\r\n适老化改造，AI+医疗 Smart City\n\n徐汇区民政局\n养老"
    for mode, indexing in (("index", True), ("query", False)):
        for _ in range(2):  # the second time from the line cache
            terms = [(t.text, t.pos, t.startchar, t.endchar)
                     for t in analysis.JiebaTokenizer()(text, positions=True, chars=True, mode=mode)]
            assert terms == _whole_text_terms(text, indexing)
    assert ("徐汇区民政局", True) in analysis._LINE_CACHE

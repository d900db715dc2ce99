"""The bundled corpus: six works, authorship, the Rigby/Tucker split, clean text, spans, gold quotes."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from corpus.catalog import Catalog, load_catalog
from corpus.load import load_passages, read_raw
from corpus.locate import locate_quote, words_in_order
from corpus.passage import Passage

EXPECTED = {
    "ticktin-purges": ("Hillel H. Ticktin", None, "000_"),
    "gouldner-internal-colonialism": ("Alvin W. Gouldner", 1978, "001_"),
    "trotsky-soviet-thermidor": ("Leon Trotsky", 1936, "002_"),
    "rigby-mono-organizational": ("T. H. Rigby", 1977, "003_"),
    "tucker-revolution-from-above": ("Robert C. Tucker", 1977, "003_"),
    "trotsky-balance-sheet": ("Leon Trotsky", 1939, "004_"),
}
SPLIT = 'Tucker, Robert C. "Stalinism as Revolution from Above."'


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def passages(catalog: Catalog) -> list[Passage]:
    return load_passages(catalog=catalog)


@pytest.fixture(scope="module")
def raws(catalog: Catalog) -> dict[str, str]:
    return {w.file: read_raw(w) for w in catalog.works}


def test_six_works_with_their_authors(catalog: Catalog) -> None:
    got = {w.work_id: (w.author, w.year, w.file.split("/")[-1][:4]) for w in catalog.works}
    assert got == EXPECTED
    assert {a.name for a in catalog.authors} == {v[0] for v in EXPECTED.values()}
    for short in ("Trotsky", "Gouldner", "Tucker", "Ticktin", "Rigby"):
        assert catalog.author(short) is not None
    assert [w.work_id for w in catalog.works_by_author("Trotsky")] == [
        "trotsky-soviet-thermidor",
        "trotsky-balance-sheet",
    ]


def test_every_work_has_passages_in_catalog_order(
    catalog: Catalog, passages: list[Passage]
) -> None:
    order = list(dict.fromkeys(p.work_id for p in passages))
    assert order == [w.work_id for w in catalog.works]
    for w in catalog.works:
        mine = [p for p in passages if p.work_id == w.work_id]
        assert [p.paragraph_no for p in mine] == list(range(len(mine)))
        assert all(p.author == w.author and p.title == w.title and p.file == w.file for p in mine)


def test_rigby_tucker_split_at_marker(passages: list[Passage], raws: dict[str, str]) -> None:
    raw = next(
        r for f, r in raws.items() if f.endswith(".txt") and f.split("/")[-1].startswith("003_")
    )
    split = raw.index(SPLIT)
    rigby = [p for p in passages if p.work_id == "rigby-mono-organizational"]
    tucker = [p for p in passages if p.work_id == "tucker-revolution-from-above"]
    assert rigby and tucker
    assert all(p.raw_end <= split for p in rigby)
    assert all(p.raw_start > split for p in tucker)
    assert rigby[0].text.startswith("relatively weak chief executive role")
    assert tucker[0].text.startswith("Western scholarship has been tardy")
    assert not any(SPLIT in p.text for p in passages)


def test_no_running_header_in_ticktin(passages: list[Passage]) -> None:
    ticktin = [p for p in passages if p.work_id == "ticktin-purges"]
    assert ticktin and not any("Nature of the Purges" in p.text for p in ticktin)


def test_no_markup_in_body(passages: list[Passage]) -> None:
    for p in passages:
        if p.kind == "body":
            for bad in ("<sup>", "^{", "\\mathbf", "**", "&quot;", "</sup>"):
                assert bad not in p.text, (p.anchor, bad)


def test_004_header_removed(passages: list[Passage]) -> None:
    first = next(p for p in passages if p.work_id == "trotsky-balance-sheet")
    assert first.text.startswith("Walter Duranty")
    assert not any("Leon Trotsky > 1939" in p.text or "[Writings of" in p.text for p in passages)


def test_paragraph_split_around_tucker_footnote_1_is_one_passage(passages: list[Passage]) -> None:
    hits = [p for p in passages if "pursuing and the ideological tenets" in p.text]
    assert len(hits) == 1
    p = hits[0]
    assert p.kind == "body" and p.work_id == "tucker-revolution-from-above"
    assert "Stalin and his associates were pursuing and the ideological tenets" in p.text
    note1 = next(q for q in passages if q.work_id == p.work_id and q.note_no == 1)
    assert note1.kind == "footnote" and note1.text.startswith("Alfred G. Meyer, Leninism")
    assert "Alfred G. Meyer" not in p.text


def test_sections(passages: list[Passage]) -> None:
    tucker = {p.section_label for p in passages if p.work_id == "tucker-revolution-from-above"}
    assert tucker == {"I", "II", "III", "IV", "V", "VI", "VII", "VIII"}
    thermidor = {p.section for p in passages if p.work_id == "trotsky-soviet-thermidor"}
    assert thermidor == {
        "Why Stalin Triumphed",
        "The Degeneration of the Bolshevik Party",
        "The Social Roots of Thermidor",
    }
    gouldner = {p.section for p in passages if p.work_id == "gouldner-internal-colonialism"}
    assert {"Methodological Considerations", "Some Theoretical Conclusions"} <= gouldner
    ticktin = {p.section for p in passages if p.work_id == "ticktin-purges"}
    assert "THE QUESTION OF NUMBERS" in ticktin and "HILLEL H. TICKTIN" not in ticktin


def test_footnotes_are_separate_passages(passages: list[Passage]) -> None:
    notes = Counter(p.work_id for p in passages if p.kind == "footnote")
    assert notes["gouldner-internal-colonialism"] >= 90
    assert notes["tucker-revolution-from-above"] >= 55
    gouldner12 = next(p for p in passages if p.anchor == "gouldner-internal-colonialism n.12")
    assert gouldner12.text.startswith("Thus, Carr held")
    assert not any(p.kind == "body" and p.text.startswith("12. ") for p in passages)
    refs = Counter(
        n for p in passages if p.work_id == "tucker-revolution-from-above" for n in p.footnote_refs
    )
    assert set(range(1, 62)) <= set(refs)


def test_anchors_unique_and_readable(passages: list[Passage]) -> None:
    anchors = [p.anchor for p in passages]
    assert len(set(anchors)) == len(anchors)
    assert "tucker-revolution-from-above §II ¶4" in anchors
    assert "rigby-mono-organizational ¶1" in anchors
    assert "gouldner-internal-colonialism n.12" in anchors


def test_every_passage_in_order_within_its_raw_span(
    passages: list[Passage], raws: dict[str, str]
) -> None:
    for p in passages:
        assert 0 <= p.raw_start < p.raw_end <= len(raws[p.file])
        assert words_in_order(p.text, raws[p.file][p.raw_start : p.raw_end]), p.anchor


def _gold() -> list[tuple[str, str, list[str], str]]:
    from corpus.settings import PROJECT_ROOT

    out = []
    with (PROJECT_ROOT / "eval" / "data" / "dev.jsonl").open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            for e in d["evidence"]:
                out.append((d["id"], e["file"], d["authors"], e["quote"]))
    return out


@pytest.mark.parametrize(
    ("qid", "file", "authors", "quote"),
    _gold(),
    ids=lambda v: v if isinstance(v, str) and v.startswith("dev-") else "",
)
def test_gold_quote_located_in_one_work_of_listed_author(
    passages: list[Passage],
    raws: dict[str, str],
    qid: str,
    file: str,
    authors: list[str],
    quote: str,
) -> None:
    assert any(quote in r for f, r in raws.items() if f.endswith(file))
    found = locate_quote(quote, passages, file=file)
    assert len({x.work_id for x in found}) == 1, found
    assert found[0].author in authors
    anywhere = locate_quote(quote, passages)
    assert len({x.work_id for x in anywhere}) == 1, anywhere

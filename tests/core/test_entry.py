import pytest

from bot.core.entry import Entry, entry_problems, is_valid_url


@pytest.mark.parametrize(
    "url", ["https://en.wikipedia.org/wiki/Self-supervised_learning", "http://example.org:8080/a?b=c#d"]
)
def test_good_urls(url: str) -> None:
    assert is_valid_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://[example.org/x",
        "https://example.org:99999/",
        "javascript:alert(1)",
        "ftp://example.org/",
        "https://",
        "https://exa mple.org/",
        "https://example.org/" + "a" * 600,
    ],
)
def test_bad_urls_are_refused_not_raised(url: str) -> None:
    assert not is_valid_url(url)


def test_entry_problems_name_each_fault() -> None:
    problems = entry_problems(Entry("!!", "", url="https://[x", aliases=("",)))
    assert any("no letters or digits" in p for p in problems)
    assert any("definition is empty" in p for p in problems)
    assert any("URL" in p for p in problems)
    assert any("alias" in p for p in problems)
    assert entry_problems(Entry("Fine-Tuning", "Further training.")) == []

"""The translation catalogues: where they are, compiling them, keeping them up to date.

The catalogues live in ``locale/<lang>/LC_MESSAGES/messages.po`` beside this
module (committed); the binary ``.mo`` files are *not* committed:
:func:`compile_catalogues` writes them when missing or older than their
``.po`` — the web application calls it at start-up, the test suite at
session start — and, should the package directory be read-only,
:func:`translations` compiles the ``.po`` in memory instead, so an installed
node always has its translations. No ``make`` step is needed. To bring the
catalogues up to date with the source (``babel.cfg`` says where to look)::

    .venv/bin/python -m acsa.i18n update   # extract, merge into en and ja
    .venv/bin/python -m acsa.i18n check    # every msgid translated into ja?

This module imports nothing of the product: :mod:`acsa.i18n` builds
``gettext`` and the formatting on it.
"""

from __future__ import annotations

import gettext as _gettext
import io
import sys
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

LOCALES: tuple[str, ...] = ("en", "ja")
DEFAULT_LOCALE = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"


# -- catalogues ------------------------------------------------------------------------


def check_locale(locale: str) -> str:
    """``locale`` if the product has a catalogue for it; ``ValueError`` otherwise."""
    if locale not in LOCALES:
        raise ValueError(f"no catalogue for locale {locale!r}; known: {', '.join(LOCALES)}")
    return locale


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"


def read_catalogue(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def _mo_bytes(catalogue: Catalog) -> bytes:
    buffer = io.BytesIO()
    # Fuzzy entries are guesses by the merge tool, never shown to users.
    write_mo(buffer, catalogue, use_fuzzy=False)
    return buffer.getvalue()


def _stale(locale: str) -> bool:
    mo, po = mo_path(locale), po_path(locale)
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def compile_catalogues(*, force: bool = False) -> list[Path]:
    """Write each ``.mo`` that is missing or older than its ``.po``; return those written.

    Called by the web application at start-up and by the tests. A read-only
    package directory is not an error: :func:`translations` then compiles
    in memory.
    """
    written = []
    for locale in LOCALES:
        if not force and not _stale(locale):
            continue
        data = _mo_bytes(read_catalogue(locale))
        target = mo_path(locale)
        try:
            temporary = target.with_suffix(".mo.tmp")
            temporary.write_bytes(data)
            temporary.replace(target)
        except OSError:
            continue
        written.append(target)
    translations.cache_clear()
    return written


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> _gettext.GNUTranslations:
    """The compiled catalogue of ``locale``: its ``.mo`` when fresh, else its ``.po`` compiled."""
    check_locale(locale)
    if not _stale(locale):
        with mo_path(locale).open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    return _gettext.GNUTranslations(io.BytesIO(_mo_bytes(read_catalogue(locale))))


# -- keeping the catalogues up to date (developers) ----------------------------------------------


def repository_root() -> Path:
    return Path(__file__).resolve().parents[3]


def extract(root: Path | None = None) -> Catalog:
    """Every marked string of the product, by the mapping in ``babel.cfg``."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = root or repository_root()
    with (root / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]
    template = Catalog(project="acsa-ledger", domain=DOMAIN, charset="utf-8")
    keywords = dict(DEFAULT_KEYWORDS)
    keywords["N_"] = None
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=keywords, comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def update(root: Path | None = None) -> dict[str, list[str]]:
    """Merge newly marked strings into every catalogue; return the msgids still untranslated."""
    template = extract(root)
    untranslated: dict[str, list[str]] = {}
    for locale in LOCALES:
        path = po_path(locale)
        catalogue = read_catalogue(locale) if path.exists() else Catalog(locale=locale,
                                                                          domain=DOMAIN)
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
        with path.open("wb") as handle:
            write_po(handle, catalogue, width=100, sort_output=False, include_previous=False)
        untranslated[locale] = missing_translations(catalogue) if locale != "en" else []
    translations.cache_clear()
    return untranslated


def _msgid_text(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def missing_translations(catalogue: Catalog) -> list[str]:
    """Msgids of ``catalogue`` with no translation, or only a fuzzy one."""
    out = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            out.append(_msgid_text(message.id))
    return out


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "compile":
        for path in compile_catalogues(force=True):
            print(f"wrote {path}")
        return 0
    if command == "update":
        for locale, missing in update().items():
            for msgid in missing:
                print(f"{locale}: untranslated: {msgid!r}")
        return 0
    if command == "check":
        missing = missing_translations(read_catalogue("ja"))
        template_ids = {_msgid_text(m.id) for m in extract() if m.id}
        catalogue_ids = {_msgid_text(m.id) for m in read_catalogue("ja") if m.id}
        for msgid in sorted(template_ids - catalogue_ids):
            print(f"not in the catalogues (run update): {msgid!r}")
        for msgid in missing:
            print(f"ja: untranslated: {msgid!r}")
        return 1 if missing or template_ids - catalogue_ids else 0
    print("usage: python -m acsa.i18n [check|update|compile]", file=sys.stderr)
    return 2


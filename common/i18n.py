"""User-facing texts from Fluent catalogues in common/locales/<lang>/*.ftl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource
from fluent.runtime.types import fluent_number

LOCALES_DIR = Path(__file__).with_name("locales")
LANGUAGES = ("ru", "en")


def pick_language(language_code: str | None, default: str) -> str:
    """Map Telegram's IETF language code to one of ours."""
    if not language_code:
        return default
    code = language_code.split("-")[0].lower()
    if code in LANGUAGES:
        return code
    # Customers from these locales usually read Russian better than English.
    return "ru" if code in {"uk", "be", "kk", "uz", "ky", "tg", "hy", "az"} else "en"


class Texts:
    """Texts in one language, with fallback to English and then to the key itself."""

    def __init__(self, bundle: FluentBundle, fallback: FluentBundle | None, language: str) -> None:
        self._bundle = bundle
        self._fallback = fallback
        self.language = language

    def __call__(self, key: str, **args: Any) -> str:
        for bundle in (self._bundle, self._fallback):
            if bundle is not None and bundle.has_message(key):
                message = bundle.get_message(key)
                if message.value is None:
                    break
                # Ids and ticket numbers must not be printed as "100 002".
                values = {
                    k: fluent_number(v, useGrouping=False) if isinstance(v, int) else v
                    for k, v in args.items()
                }
                text, _errors = bundle.format_pattern(message.value, values)
                return str(text)
        return key


class Translator:
    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self._bundles: dict[str, FluentBundle] = {}
        for language in LANGUAGES:
            # Isolation marks (U+2068/2069) would show up in Telegram clients as garbage.
            bundle = FluentBundle([language], use_isolating=False)
            for path in sorted((directory / language).glob("*.ftl")):
                bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
            self._bundles[language] = bundle

    def texts(self, language: str) -> Texts:
        bundle = self._bundles.get(language, self._bundles["en"])
        fallback = self._bundles["en"] if language != "en" else None
        return Texts(bundle, fallback, language)

    def keys(self, language: str) -> set[str]:
        return set(self._bundles[language]._messages)

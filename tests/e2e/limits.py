"""Discord's documented limits, checked without any network: the project's own payload validator.

Two checks, both returning a list of human-readable violations (empty means "fine"):

* :func:`check_payload` applies Discord's *documented* limits (which are stricter than the OpenAPI spec in
  places: 2,000 characters of content, 100-character autocomplete values, the 6,000-character embed
  total, button label lengths that discord.py does not check) plus this project's mention policy: every
  message with content or embeds must carry ``allowed_mentions`` and may never ping ``@everyone``,
  ``@here``, users, or roles by ``parse``; at most one role may be listed explicitly.
  Violations of that project policy start with :data:`POLICY_PREFIX`; Discord itself would accept them.
* :func:`check_schema` validates the same body against the request schema of Discord's official OpenAPI
  description, read from ``../shared/discord/openapi.json`` beside the repository. It returns ``[]``
  when that file is absent, so the suite still runs elsewhere.

Kinds (the ``kind`` argument of both functions):

=====================  ============================================================================
``interaction_callback``  ``POST /interactions/{id}/{token}/callback`` (types 4-9)
``message_create``        ``POST /channels/{channel_id}/messages``
``message_edit``          ``PATCH /channels/{channel_id}/messages/{message_id}``
``webhook``               ``POST /webhooks/{application_id}/{token}`` (interaction follow-ups)
``webhook_edit``          ``PATCH /webhooks/{application_id}/{token}/messages/{@original|id}``
``commands``              ``PUT /applications/{id}[/guilds/{guild_id}]/commands`` (a list)
``command``               ``POST /applications/{id}[/guilds/{guild_id}]/commands`` (one command)
=====================  ============================================================================

Example::

    from tests.e2e.limits import check_payload, check_schema

    assert check_payload("message_create", body) == []
    assert check_schema("message_create", body) == []
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

POLICY_PREFIX = "policy: "
"""Prefix of violations of this project's own rules (Discord would accept the request)."""

SPEC_PATH: Path = Path(__file__).resolve().parents[3] / "shared/discord/openapi.json"
"""Where Discord's OpenAPI description lives: ``shared/discord`` beside the repository."""

KINDS = frozenset(
    {"interaction_callback", "message_create", "message_edit", "webhook", "webhook_edit", "commands", "command"}
)

# --- limits (Discord documentation; where the spec disagrees, the docs win) ----------------------------
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW_MAX = 5
V2_COMPONENTS_MAX = 40
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
URL_MAX = 512
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
AUTOCOMPLETE_CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_STRING_VALUE_MAX = 100
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
COMMAND_CHOICES_MAX = 25
COMMAND_TOTAL_TEXT_MAX = 8000
COMMANDS_PER_TYPE_MAX = {1: 100, 2: 15, 3: 15}
MODAL_TITLE_MAX = 45
MODAL_ROWS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
TEXT_INPUT_PLACEHOLDER_MAX = 100
LABEL_DESCRIPTION_MAX = 100
NONCE_MAX = 25
MESSAGE_FLAG_COMPONENTS_V2 = 1 << 15

COMMAND_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")

# component types
ACTION_ROW = 1
BUTTON = 2
STRING_SELECT = 3
TEXT_INPUT = 4
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
LABEL = 18

CALLBACK_TYPES = frozenset({1, 4, 5, 6, 7, 8, 9, 10, 12, 13})


# ======================================================================================================
# check_payload
# ======================================================================================================
def check_payload(kind: str, body: Any) -> list[str]:
    """Return every violation of Discord's documented limits and of the project's mention policy."""
    if kind not in KINDS:
        raise ValueError(f"unknown payload kind {kind!r}; expected one of {sorted(KINDS)}")
    out: list[str] = []
    if kind == "commands":
        if not isinstance(body, list):
            return ["commands: a bulk overwrite body must be a JSON list"]
        _check_command_list(body, out)
        return out
    if not isinstance(body, dict):
        return [f"{kind}: body must be a JSON object, got {type(body).__name__}"]
    if kind == "command":
        _check_command(body, "command", out)
    elif kind == "interaction_callback":
        _check_callback(body, out)
    else:
        _check_message(body, kind, out, require_something=kind in ("message_create", "webhook"))
    return out


def _len(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def _check_text(value: Any, where: str, max_len: int, out: list[str], *, min_len: int = 0) -> None:
    if value is None:
        if min_len:
            out.append(f"{where} is missing (must be {min_len}-{max_len} characters)")
        return
    if not isinstance(value, str):
        out.append(f"{where} must be a string, got {type(value).__name__}")
        return
    if len(value) > max_len:
        out.append(f"{where} is {len(value)} characters (max {max_len})")
    elif len(value) < min_len:
        out.append(f"{where} is {len(value)} characters (min {min_len})")


# --- interaction callbacks ------------------------------------------------------------------------------
def _check_callback(body: dict[str, Any], out: list[str]) -> None:
    ctype = body.get("type")
    data = body.get("data")
    if ctype not in CALLBACK_TYPES:
        out.append(f"callback: unknown callback type {ctype!r}")
        return
    if ctype in (4, 7):
        if not isinstance(data, dict):
            if ctype == 4:
                out.append("callback type 4: data (the message) is missing")
            return
        _check_message(data, f"callback type {ctype}", out, require_something=ctype == 4)
    elif ctype == 5:
        if isinstance(data, dict):
            extra = set(data) - {"flags"}
            if extra:
                out.append(f"callback type 5: deferred response data may only carry flags, got {sorted(extra)}")
    elif ctype == 8:
        _check_autocomplete(data, out)
    elif ctype == 9:
        _check_modal(data, out)


def _check_autocomplete(data: Any, out: list[str]) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        out.append("autocomplete: data.choices (a list) is missing")
        return
    choices: list[Any] = data["choices"]
    if len(choices) > AUTOCOMPLETE_CHOICES_MAX:
        out.append(f"autocomplete: {len(choices)} choices (max {AUTOCOMPLETE_CHOICES_MAX})")
    for i, choice in enumerate(choices):
        _check_choice(choice, f"autocomplete choice {i}", out)


def _check_choice(choice: Any, where: str, out: list[str]) -> None:
    if not isinstance(choice, dict):
        out.append(f"{where} must be an object")
        return
    _check_text(choice.get("name"), f"{where} name", CHOICE_NAME_MAX, out, min_len=1)
    value = choice.get("value")
    if isinstance(value, str):
        _check_text(value, f"{where} value", CHOICE_STRING_VALUE_MAX, out)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        out.append(f"{where} value must be a string or a number, got {value!r}")


def _check_modal(data: Any, out: list[str]) -> None:
    if not isinstance(data, dict):
        out.append("modal: data is missing")
        return
    _check_custom_id(data.get("custom_id"), "modal custom_id", out)
    _check_text(data.get("title"), "modal title", MODAL_TITLE_MAX, out, min_len=1)
    rows = data.get("components")
    if not isinstance(rows, list) or not rows:
        out.append("modal: components must be a list of 1-5 rows")
        return
    if len(rows) > MODAL_ROWS_MAX:
        out.append(f"modal: {len(rows)} rows (max {MODAL_ROWS_MAX})")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        where = f"modal row {i}"
        if not isinstance(row, dict):
            out.append(f"{where} must be an object")
            continue
        rtype = row.get("type")
        if rtype == ACTION_ROW:
            inner = row.get("components")
            if not isinstance(inner, list) or len(inner) != 1:
                out.append(f"{where}: an action row in a modal holds exactly one component")
                continue
            _check_modal_input(inner[0], f"{where} component", out, seen, needs_label=True)
        elif rtype == LABEL:
            _check_text(row.get("label"), f"{where} label", TEXT_INPUT_LABEL_MAX, out, min_len=1)
            _check_text(row.get("description"), f"{where} description", LABEL_DESCRIPTION_MAX, out)
            _check_modal_input(row.get("component"), f"{where} component", out, seen, needs_label=False)
        elif rtype == 10:  # text display
            _check_text(row.get("content"), f"{where} text display", TEXT_INPUT_VALUE_MAX, out, min_len=1)
        else:
            out.append(f"{where}: unsupported top-level modal component type {rtype!r}")


def _check_modal_input(comp: Any, where: str, out: list[str], seen: set[str], *, needs_label: bool) -> None:
    if not isinstance(comp, dict):
        out.append(f"{where} must be an object")
        return
    ctype = comp.get("type")
    custom_id = comp.get("custom_id")
    _check_custom_id(custom_id, f"{where} custom_id", out)
    if isinstance(custom_id, str):
        if custom_id in seen:
            out.append(f"{where}: duplicate custom_id {custom_id!r}")
        seen.add(custom_id)
    if ctype == TEXT_INPUT:
        if needs_label:
            _check_text(comp.get("label"), f"{where} label", TEXT_INPUT_LABEL_MAX, out, min_len=1)
        elif comp.get("label") is not None:  # inside a label component the text input's label is unused
            _check_text(comp.get("label"), f"{where} label", TEXT_INPUT_LABEL_MAX, out)
        if comp.get("style") not in (1, 2):
            out.append(f"{where}: text input style must be 1 or 2, got {comp.get('style')!r}")
        _check_text(comp.get("value"), f"{where} value", TEXT_INPUT_VALUE_MAX, out)
        _check_text(comp.get("placeholder"), f"{where} placeholder", TEXT_INPUT_PLACEHOLDER_MAX, out)
        for key, low in (("min_length", 0), ("max_length", 1)):
            value = comp.get(key)
            if value is not None and (not isinstance(value, int) or not low <= value <= TEXT_INPUT_VALUE_MAX):
                out.append(f"{where}: {key} must be {low}-{TEXT_INPUT_VALUE_MAX}, got {value!r}")
    elif ctype in SELECT_TYPES:
        if needs_label:
            out.append(f"{where}: select menus in modals must be wrapped in a label component")
        _check_select(comp, where, out)
    else:
        out.append(f"{where}: unsupported modal input type {ctype!r}")


# --- messages -------------------------------------------------------------------------------------------
def _check_message(body: dict[str, Any], where: str, out: list[str], *, require_something: bool) -> None:
    content = body.get("content")
    if content is not None:
        _check_text(content, f"{where}: content", CONTENT_MAX, out)
    embeds = body.get("embeds")
    if embeds is not None:
        _check_embeds(embeds, where, out)
    components = body.get("components")
    flags = body.get("flags") or 0
    if components is not None:
        _check_components(
            components, where, out, v2=bool(isinstance(flags, int) and flags & MESSAGE_FLAG_COMPONENTS_V2)
        )
    if "nonce" in body:
        nonce = body["nonce"]
        if isinstance(nonce, str):
            _check_text(nonce, f"{where}: nonce", NONCE_MAX, out)
        elif isinstance(nonce, bool) or not isinstance(nonce, int):
            out.append(f"{where}: nonce must be a string (max {NONCE_MAX} characters), got {nonce!r}")
    if require_something and not any(
        (content, embeds, components, body.get("sticker_ids"), body.get("attachments"), body.get("poll"))
    ):
        out.append(f"{where}: empty message (no content, embeds, components, stickers, files or poll)")
    has_text = bool(content) or bool(embeds)
    _check_allowed_mentions(body, where, out, has_text=has_text)


def _check_allowed_mentions(body: dict[str, Any], where: str, out: list[str], *, has_text: bool) -> None:
    am = body.get("allowed_mentions")
    if am is None:
        if has_text:
            out.append(
                f"{POLICY_PREFIX}{where}: a message with content or embeds must carry allowed_mentions "
                "(use discord.AllowedMentions.none())"
            )
        return
    if not isinstance(am, dict):
        out.append(f"{where}: allowed_mentions must be an object")
        return
    parse = am.get("parse") or []
    if not isinstance(parse, list):
        out.append(f"{where}: allowed_mentions.parse must be a list")
        parse = []
    for forbidden, why in (
        ("everyone", "may ping @everyone/@here"),
        ("users", "may ping any mentioned user"),
        ("roles", "may ping any mentioned role (list one role in allowed_mentions.roles instead)"),
    ):
        if forbidden in parse:
            out.append(f"{POLICY_PREFIX}{where}: allowed_mentions.parse contains {forbidden!r}: {why}")
    users = am.get("users")
    if users:
        out.append(f"{POLICY_PREFIX}{where}: allowed_mentions.users lists {users!r}; the bot never pings users")
    if am.get("replied_user") and body.get("message_reference"):
        out.append(f"{POLICY_PREFIX}{where}: allowed_mentions.replied_user pings the author of the replied message")
    roles = am.get("roles")
    if roles is not None and not isinstance(roles, list):
        out.append(f"{where}: allowed_mentions.roles must be a list")
    elif roles and len(roles) > 1:
        out.append(f"{POLICY_PREFIX}{where}: allowed_mentions.roles lists {len(roles)} roles; at most one is allowed")


def _check_embeds(embeds: Any, where: str, out: list[str]) -> None:
    if not isinstance(embeds, list):
        out.append(f"{where}: embeds must be a list")
        return
    if len(embeds) > EMBEDS_MAX:
        out.append(f"{where}: {len(embeds)} embeds (max {EMBEDS_MAX})")
    total = 0
    for i, embed in enumerate(embeds):
        ew = f"{where}: embed {i}"
        if not isinstance(embed, dict):
            out.append(f"{ew} must be an object")
            continue
        _check_text(embed.get("title"), f"{ew} title", EMBED_TITLE_MAX, out)
        _check_text(embed.get("description"), f"{ew} description", EMBED_DESCRIPTION_MAX, out)
        total += _len(embed.get("title")) + _len(embed.get("description"))
        fields = embed.get("fields") or []
        if not isinstance(fields, list):
            out.append(f"{ew} fields must be a list")
            fields = []
        if len(fields) > EMBED_FIELDS_MAX:
            out.append(f"{ew}: {len(fields)} fields (max {EMBED_FIELDS_MAX})")
        for j, field in enumerate(fields):
            if not isinstance(field, dict):
                out.append(f"{ew} field {j} must be an object")
                continue
            _check_text(field.get("name"), f"{ew} field {j} name", EMBED_FIELD_NAME_MAX, out, min_len=1)
            _check_text(field.get("value"), f"{ew} field {j} value", EMBED_FIELD_VALUE_MAX, out, min_len=1)
            total += _len(field.get("name")) + _len(field.get("value"))
        footer = embed.get("footer")
        if isinstance(footer, dict):
            _check_text(footer.get("text"), f"{ew} footer text", EMBED_FOOTER_MAX, out)
            total += _len(footer.get("text"))
        author = embed.get("author")
        if isinstance(author, dict):
            _check_text(author.get("name"), f"{ew} author name", EMBED_AUTHOR_MAX, out)
            total += _len(author.get("name"))
        url = embed.get("url")
        if isinstance(url, str) and not url.startswith(("http://", "https://")):
            out.append(f"{ew} url must be http(s), got {url[:40]!r}")
    if total > EMBED_TOTAL_MAX:
        out.append(f"{where}: embeds total {total} characters (max {EMBED_TOTAL_MAX} over all embeds)")


def _iter_components(components: Iterable[Any]) -> Iterator[dict[str, Any]]:
    for comp in components:
        if not isinstance(comp, dict):
            continue
        yield comp
        inner = comp.get("components")
        if isinstance(inner, list):
            yield from _iter_components(inner)
        for key in ("component", "accessory"):
            if isinstance(comp.get(key), dict):
                yield from _iter_components([comp[key]])


def _check_components(components: Any, where: str, out: list[str], *, v2: bool) -> None:
    if not isinstance(components, list):
        out.append(f"{where}: components must be a list")
        return
    every = list(_iter_components(components))
    if v2:
        if len(every) > V2_COMPONENTS_MAX:
            out.append(f"{where}: {len(every)} components (max {V2_COMPONENTS_MAX} with components v2)")
    elif len(components) > ACTION_ROWS_MAX:
        out.append(f"{where}: {len(components)} action rows (max {ACTION_ROWS_MAX})")
    _check_unique_custom_ids(every, where, out)
    for i, row in enumerate(components):
        rw = f"{where}: row {i}"
        if not isinstance(row, dict):
            out.append(f"{rw} must be an object")
        elif row.get("type") == ACTION_ROW:
            _check_action_row(row, rw, out)
        elif not v2:
            out.append(f"{rw}: top-level components must be action rows (type 1), got {row.get('type')!r}")
    if v2:
        nested = [c for c in every if c.get("type") == ACTION_ROW and not any(c is r for r in components)]
        for row in nested:
            _check_action_row(row, f"{where}: nested action row", out)


def _check_unique_custom_ids(components: list[dict[str, Any]], where: str, out: list[str]) -> None:
    seen: set[str] = set()
    for comp in components:
        custom_id = comp.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in seen:
                out.append(f"{where}: duplicate custom_id {custom_id!r} (custom_ids must be unique per message)")
            seen.add(custom_id)


def _check_action_row(row: dict[str, Any], rw: str, out: list[str]) -> None:
    inner = row.get("components")
    if not isinstance(inner, list) or not inner:
        out.append(f"{rw}: an action row needs 1-5 components")
        return
    buttons = [c for c in inner if isinstance(c, dict) and c.get("type") == BUTTON]
    selects = [c for c in inner if isinstance(c, dict) and c.get("type") in SELECT_TYPES]
    if len(buttons) > BUTTONS_PER_ROW_MAX:
        out.append(f"{rw}: {len(buttons)} buttons (max {BUTTONS_PER_ROW_MAX} per row)")
    if selects and len(inner) > 1:
        out.append(f"{rw}: a select menu must be alone in its action row")
    for j, comp in enumerate(inner):
        cw = f"{rw} component {j}"
        if not isinstance(comp, dict):
            out.append(f"{cw} must be an object")
        elif comp.get("type") == BUTTON:
            _check_button(comp, cw, out)
        elif comp.get("type") in SELECT_TYPES:
            _check_select(comp, cw, out)
        elif comp.get("type") == TEXT_INPUT:
            out.append(f"{cw}: text inputs are only valid in modals")
        else:
            out.append(f"{cw}: unsupported component type {comp.get('type')!r} in an action row")


def _check_custom_id(value: Any, where: str, out: list[str]) -> None:
    _check_text(value, where, CUSTOM_ID_MAX, out, min_len=1)


def _check_button(button: dict[str, Any], where: str, out: list[str]) -> None:
    style = button.get("style")
    _check_text(button.get("label"), f"{where} label", BUTTON_LABEL_MAX, out)
    if not button.get("label") and not button.get("emoji") and style != 6:
        out.append(f"{where}: a button needs a label or an emoji")
    if style == 5:
        url = button.get("url")
        _check_text(url, f"{where} url", URL_MAX, out, min_len=1)
        if "custom_id" in button:
            out.append(f"{where}: a link button (style 5) must not have a custom_id")
    elif style == 6:
        if not button.get("sku_id"):
            out.append(f"{where}: a premium button (style 6) needs a sku_id")
    elif style in (1, 2, 3, 4):
        _check_custom_id(button.get("custom_id"), f"{where} custom_id", out)
        if "url" in button:
            out.append(f"{where}: only link buttons (style 5) may have a url")
    else:
        out.append(f"{where}: unknown button style {style!r}")


def _check_select(select: dict[str, Any], where: str, out: list[str]) -> None:
    _check_custom_id(select.get("custom_id"), f"{where} custom_id", out)
    _check_text(select.get("placeholder"), f"{where} placeholder", SELECT_PLACEHOLDER_MAX, out)
    for key, low, high in (("min_values", 0, 25), ("max_values", 1, 25)):
        value = select.get(key)
        if value is not None and (not isinstance(value, int) or not low <= value <= high):
            out.append(f"{where}: {key} must be {low}-{high}, got {value!r}")
    if select.get("type") == STRING_SELECT:
        options = select.get("options")
        if not isinstance(options, list) or not options:
            out.append(f"{where}: a string select needs 1-{SELECT_OPTIONS_MAX} options")
            return
        if len(options) > SELECT_OPTIONS_MAX:
            out.append(f"{where}: {len(options)} select options (max {SELECT_OPTIONS_MAX})")
        values: set[str] = set()
        for k, option in enumerate(options):
            ow = f"{where} option {k}"
            if not isinstance(option, dict):
                out.append(f"{ow} must be an object")
                continue
            _check_text(option.get("label"), f"{ow} label", SELECT_OPTION_TEXT_MAX, out, min_len=1)
            _check_text(option.get("value"), f"{ow} value", SELECT_OPTION_TEXT_MAX, out, min_len=1)
            _check_text(option.get("description"), f"{ow} description", SELECT_OPTION_TEXT_MAX, out)
            if str(option.get("value")) in values:
                out.append(f"{ow}: duplicate option value {option.get('value')!r}")
            values.add(str(option.get("value")))
        max_values = select.get("max_values")
        if isinstance(max_values, int) and max_values > len(options):
            out.append(f"{where}: max_values {max_values} exceeds the {len(options)} options")


# --- application commands ------------------------------------------------------------------------------
def _check_command_list(commands: list[Any], out: list[str]) -> None:
    per_type: dict[int, int] = {}
    names: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        if not isinstance(cmd, dict):
            out.append(f"command {i} must be an object")
            continue
        ctype = cmd.get("type", 1)
        per_type[ctype] = per_type.get(ctype, 0) + 1
        key = (ctype, str(cmd.get("name")))
        if key in names:
            out.append(f"command {i}: duplicate command name {cmd.get('name')!r} for type {ctype}")
        names.add(key)
        _check_command(cmd, f"command {cmd.get('name')!r}", out)
    for ctype, count in per_type.items():
        limit = COMMANDS_PER_TYPE_MAX.get(ctype)
        if limit is not None and count > limit:
            out.append(f"commands: {count} commands of type {ctype} (max {limit})")


def _command_text_length(obj: dict[str, Any]) -> int:
    total = _len(obj.get("name")) + _len(obj.get("description"))
    for choice in obj.get("choices") or []:
        if isinstance(choice, dict):
            total += _len(choice.get("name")) + len(str(choice.get("value", "")))
    for option in obj.get("options") or []:
        if isinstance(option, dict):
            total += _command_text_length(option)
    return total


def _check_command(cmd: dict[str, Any], where: str, out: list[str]) -> None:
    ctype = cmd.get("type", 1)
    name = cmd.get("name")
    if ctype == 1:
        _check_chat_name(name, f"{where} name", out)
        _check_text(cmd.get("description"), f"{where} description", COMMAND_DESCRIPTION_MAX, out, min_len=1)
        _check_options(cmd.get("options"), where, out, depth=0)
        total = _command_text_length(cmd)
        if total > COMMAND_TOTAL_TEXT_MAX:
            out.append(f"{where}: names, descriptions and choices total {total} characters (max 8000)")
    elif ctype in (2, 3, 4):
        _check_text(name, f"{where} name", COMMAND_NAME_MAX, out, min_len=1)
        if cmd.get("description"):
            out.append(f"{where}: context-menu commands must have an empty description")
        if cmd.get("options"):
            out.append(f"{where}: context-menu commands cannot have options")
    else:
        out.append(f"{where}: unknown command type {ctype!r}")


def _check_chat_name(name: Any, where: str, out: list[str]) -> None:
    if not isinstance(name, str) or not COMMAND_NAME_RE.match(name):
        out.append(f"{where} {name!r} must be 1-32 characters of letters, digits, '-', '_' or \"'\"")
    elif name != name.lower():
        out.append(f"{where} {name!r} must be lower case")


def _check_options(options: Any, where: str, out: list[str], *, depth: int) -> None:
    if options is None:
        return
    if not isinstance(options, list):
        out.append(f"{where}: options must be a list")
        return
    if len(options) > COMMAND_OPTIONS_MAX:
        out.append(f"{where}: {len(options)} options (max {COMMAND_OPTIONS_MAX})")
    names: set[str] = set()
    seen_optional = False
    for i, opt in enumerate(options):
        if not isinstance(opt, dict):
            out.append(f"{where} option {i} must be an object")
            continue
        ow = f"{where} option {opt.get('name')!r}"
        _check_chat_name(opt.get("name"), f"{ow} name", out)
        _check_text(opt.get("description"), f"{ow} description", COMMAND_DESCRIPTION_MAX, out, min_len=1)
        if opt.get("name") in names:
            out.append(f"{ow}: duplicate option name")
        names.add(str(opt.get("name")))
        if opt.get("type") in (1, 2):
            if depth >= (1 if opt.get("type") == 2 else 2):
                out.append(f"{ow}: subcommand nesting too deep")
            _check_options(opt.get("options"), ow, out, depth=depth + 1)
            continue
        if opt.get("required") and seen_optional:
            out.append(f"{ow}: required options must come before optional ones")
        seen_optional = seen_optional or not opt.get("required")
        _check_value_option(opt, ow, out)


def _check_value_option(opt: dict[str, Any], ow: str, out: list[str]) -> None:
    otype = opt.get("type")
    if not isinstance(otype, int) or not 3 <= otype <= 11:
        out.append(f"{ow}: unknown option type {otype!r}")
    choices = opt.get("choices")
    if choices:
        if opt.get("autocomplete"):
            out.append(f"{ow}: autocomplete and choices are mutually exclusive")
        if len(choices) > COMMAND_CHOICES_MAX:
            out.append(f"{ow}: {len(choices)} choices (max {COMMAND_CHOICES_MAX})")
        for k, choice in enumerate(choices):
            _check_choice(choice, f"{ow} choice {k}", out)
    for key in ("min_length", "max_length"):
        value = opt.get(key)
        if value is not None and (not isinstance(value, int) or not 0 <= value <= 6000):
            out.append(f"{ow}: {key} must be 0-6000, got {value!r}")


# ======================================================================================================
# check_schema
# ======================================================================================================
_SCHEMA_ROUTES: dict[str, tuple[str, str]] = {
    "interaction_callback": ("/interactions/{interaction_id}/{interaction_token}/callback", "post"),
    "message_create": ("/channels/{channel_id}/messages", "post"),
    "message_edit": ("/channels/{channel_id}/messages/{message_id}", "patch"),
    "webhook": ("/webhooks/{webhook_id}/{webhook_token}", "post"),
    "webhook_edit": ("/webhooks/{webhook_id}/{webhook_token}/messages/@original", "patch"),
    "commands": ("/applications/{application_id}/commands", "put"),
    "guild_commands": ("/applications/{application_id}/guilds/{guild_id}/commands", "put"),
    "command": ("/applications/{application_id}/commands", "post"),
}


_SPEC_URI = "urn:discord-openapi"


@functools.cache
def _spec() -> dict[str, Any] | None:
    if not SPEC_PATH.is_file():
        return None
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def spec_available() -> bool:
    """True when Discord's OpenAPI description is present beside the repository."""
    return _spec() is not None


@functools.cache
def _relaxed_spec() -> dict[str, Any]:
    """The spec with documented relaxations where it rejects what discord.py legitimately sends."""
    spec = _spec()
    assert spec is not None
    relaxed = dict(spec)
    relaxed["components"] = dict(spec["components"])
    schemas = relaxed["components"]["schemas"] = dict(spec["components"]["schemas"])
    # Relaxation 1: the spec types every snowflake as a decimal *string*, but Discord accepts JSON
    # integers too, and discord.py legitimately sends them (allowed_mentions.roles/users are
    # ``[x.id for x in ...]``, message_reference.message_id, attachment ids).
    schemas["SnowflakeType"] = {
        "anyOf": [
            spec["components"]["schemas"]["SnowflakeType"],
            {"type": "integer", "minimum": 0, "maximum": 2**64 - 1},
        ]
    }
    return relaxed


@functools.cache
def _validator(kind: str) -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    path, method = _SCHEMA_ROUTES[kind]
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, DRAFT202012.create_resource(_relaxed_spec()))
    # Point into the document, so the "#/components/..." references inside resolve against all of it.
    segments = ["paths", path, method, "requestBody", "content", "application/json", "schema"]
    pointer = "".join("/" + quote(s.replace("~", "~0").replace("/", "~1"), safe="~@") for s in segments)
    wrapped = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": f"{_SPEC_URI}#{pointer}"}
    return Draft202012Validator(wrapped, registry=registry)


def _is_discriminator(error: Any) -> bool:
    """An enum/const failure on a ``type`` key: this union branch is simply not the one meant."""
    path = list(error.absolute_path)
    return error.validator in ("enum", "const") and bool(path) and path[-1] == "type"


def _is_null_branch(error: Any) -> bool:
    """The ``{"type": "null"}`` arm of a nullable oneOf: never the interesting explanation."""
    return bool(error.validator == "type" and error.validator_value == "null")


def _leaf_depth(error: Any) -> int:
    return len(_deepest(error)[0].absolute_path)


def _accepted(errors: list[Any]) -> list[Any]:
    values: list[Any] = []
    for e in errors:
        for v in e.validator_value if e.validator == "enum" else [e.validator_value]:
            if v not in values:
                values.append(v)
    try:
        return sorted(values)
    except TypeError:
        return values


def _deepest(error: Any) -> tuple[Any, str]:
    """Follow ``error.context`` (the failing branches of anyOf/oneOf) down to the real cause.

    Branches that fail on their ``type`` discriminator are the wrong branch, not the cause; among the
    rest, the failure deepest in the instance wins (a ``null`` arm of a nullable union never does). If
    every branch failed on the discriminator, or every branch is just a different constant for the same
    value, the message lists every accepted value instead.
    """
    while error.context:
        branches: dict[Any, list[Any]] = {}
        for e in error.context:
            branches.setdefault(e.relative_schema_path[0], []).append(e)
        wrong = {k for k, errs in branches.items() if any(_is_discriminator(e) for e in errs)}
        candidates = [e for k, errs in branches.items() if k not in wrong for e in errs]
        if not candidates:
            leaf = next(e for e in error.context if _is_discriminator(e))
            accepted = _accepted([e for e in error.context if _is_discriminator(e)])
            return leaf, f"{_short(leaf.instance)} is not one of {accepted}"
        if all(e.validator in ("enum", "const") for e in candidates) and (
            len({tuple(e.absolute_path) for e in candidates}) == 1
        ):
            leaf = candidates[0]
            return leaf, f"{_short(leaf.instance)} is not one of {_accepted(candidates)}"
        error = max(candidates, key=lambda e: (_leaf_depth(e), not _is_null_branch(e), e.validator != "type"))
    message: str = error.message
    full = repr(error.instance)
    if len(full) > 60 and message.startswith(full):
        message = _short(error.instance) + message[len(full) :]
    return error, message


def _short(value: Any) -> str:
    text = repr(value)
    if len(text) <= 60:
        return text
    size = f" ({len(value)} long)" if isinstance(value, str | list | dict) else ""
    return f"{text[:40]}...{size}"


def _path(error: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "(body)"


def check_schema(kind: str, body: Any) -> list[str]:
    """Validate ``body`` against the OpenAPI request schema for ``kind``; ``[]`` without the spec.

    ``kind`` is one of the payload kinds, or ``guild_commands`` for the guild bulk overwrite (the same
    schema as ``commands``).
    """
    if kind not in _SCHEMA_ROUTES:
        raise ValueError(f"unknown schema kind {kind!r}; expected one of {sorted(_SCHEMA_ROUTES)}")
    if _spec() is None:
        return []
    validator = _validator(kind)
    out: list[str] = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        cause, message = _deepest(error)
        out.append(f"schema {kind}: {_path(cause)}: {message[:300]}")
    return out

"""A stateful Telegram Bot API emulator, spoken to over HTTP exactly like api.telegram.org.

The real, unmodified bot connects to it through its configurable Bot API base URL. It keeps
chats, users, messages, forum topics and an update queue, answers long polling, and returns
errors with Telegram's codes and descriptions. Tests drive it through `bot.sandbox.people`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from bot.sandbox.html_entities import ParseError, parse_html, utf16_len
from bot.sandbox.limits import Limits, counted

JSON = dict[str, Any]

CONTENT_KEYS = (
    "text",
    "entities",
    "photo",
    "video",
    "animation",
    "document",
    "audio",
    "voice",
    "video_note",
    "sticker",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "caption",
    "caption_entities",
    "media_group_id",
    "has_media_spoiler",
)
SERVICE_KEYS = (
    "forum_topic_created",
    "forum_topic_closed",
    "forum_topic_reopened",
    "forum_topic_edited",
    "new_chat_members",
    "left_chat_member",
    "pinned_message",
    "group_chat_created",
)
MEDIA_METHODS = {
    "sendphoto": "photo",
    "sendvideo": "video",
    "senddocument": "document",
    "sendaudio": "audio",
    "sendvoice": "voice",
    "sendsticker": "sticker",
    "sendanimation": "animation",
    "sendvideonote": "video_note",
}
DEFAULT_UPDATES = {
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_join_request",
    "business_message",
}


class APIError(Exception):
    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(text: str) -> APIError:
    return APIError(400, f"Bad Request: {text}")


@dataclass
class Topic:
    chat_id: int
    thread_id: int
    name: str
    icon_color: int
    closed: bool = False
    deleted: bool = False


@dataclass
class Call:
    method: str
    params: JSON
    ok: bool = True
    error: str | None = None


@dataclass
class Failure:
    """An error to return instead of handling a matching call (e.g. an injected 429), or
    after handling it (`after`: done, but the answer lost on its way back)."""

    method: str
    error: APIError
    times: int
    when: Callable[[JSON], bool] | None = None
    after: bool = False


@dataclass
class ChatState:
    chat: JSON
    next_message_id: int = 1
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    pinned: list[int] = field(default_factory=list)


def _update_chat(update: JSON) -> int:
    """The chat an update belongs to (Telegram's per-chat delivery queue)."""
    body = next(v for k, v in update.items() if k != "update_id")
    message = body.get("message") if "data" in body else body
    chat = (message or {}).get("chat") or body.get("from") or {}
    return int(chat.get("id", 0))


class TelegramEmulator:
    def __init__(
        self,
        token: str = "123456789:TEST-emulator-token-abcdef",
        username: str = "frontline_test_bot",
        limits: Limits | None = None,
    ) -> None:
        self.token = token
        # Telegram's flood limits (None: unlimited); `limits.refused` counts the 429s.
        self.limits = limits
        self.monotonic: Callable[[], float] = time.monotonic
        self.bot_user: JSON = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Frontline",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, ChatState] = {}
        self.messages: dict[tuple[int, int], JSON] = {}
        self.topics: dict[tuple[int, int], Topic] = {}
        self.updates: list[JSON] = []
        self.pushed: list[JSON] = []  # every update ever handed out, for redelivery tests
        self.calls: list[Call] = []
        self.callback_answers: dict[str, JSON] = {}
        self.blocked_by: set[int] = set()
        self.failures: list[Failure] = []
        # Seconds a method's answer takes to come back once it is carried out (by lower-case
        # method name): the window in which a killed bot never learns what it did.
        self.latency: dict[str, float] = {}
        self.commands: dict[str, list[JSON]] = {}
        self.webhook_url = ""
        self.webhook_secret = ""
        # Webhook delivery goes through this "load balancer": set it to the replicas' URLs
        # (round robin); empty means the URL given to setWebhook.
        self.balance_to: list[str] = []
        self.webhook_posts: list[tuple[str, int, int]] = []  # (target, update_id, status)
        self._webhook_task: asyncio.Task[None] | None = None
        self._posts: set[asyncio.Task[None]] = set()
        self.allowed_updates: set[str] = set(DEFAULT_UPDATES)
        self.edits: list[JSON] = []
        self.stored_at: dict[tuple[int, int], float] = {}
        self.reply_keyboards: dict[int, JSON] = {}
        self.now: Callable[[], float] = time.time
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._wakeup = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # ----------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        bound = server.sockets[0].getsockname()  # type: ignore[attr-defined]
        self.base_url = f"http://{host}:{bound[1]}"
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        self._notify()  # release a pending long poll at once
        for task in [*self._posts, self._webhook_task]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------- waiting helpers

    def _notify(self) -> None:
        """Wake everyone waiting for a change (sync, so user actions can call it too)."""
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout)

    async def changed(self, timeout: float) -> bool:
        """Wait for the next change of any chat (a message, an edit, a topic); False if none
        came within `timeout`."""
        wakeup = self._wakeup
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout)
        return wakeup.is_set()

    async def wait_until(
        self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition"
    ) -> Any:
        """Wait, woken by the emulator's own events (no polling sleeps), until predicate holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            await self._wait_change(remaining)

    # ---------------------------------------------------------- world building

    def add_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        user_id: int | None = None,
    ) -> JSON:
        uid = user_id or 100000 + next(self._ids)
        user: JSON = {"id": uid, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[uid] = user
        chat: JSON = {"id": uid, "type": "private", "first_name": first_name}
        if last_name:
            chat["last_name"] = last_name
        if username:
            chat["username"] = username
        self.chats[uid] = ChatState(
            chat=chat, members={uid: "member", self.bot_user["id"]: "member"}
        )
        return user

    def add_group(
        self, title: str, *, forum: bool = True, chat_id: int | None = None, bot_admin: bool = True
    ) -> JSON:
        cid = chat_id or -1001000000000 - next(self._ids)
        chat: JSON = {"id": cid, "type": "supergroup", "title": title}
        if forum:
            chat["is_forum"] = True
        # Message 1 is the group's creation; thread id 1 means the General topic.
        state = ChatState(chat=chat, next_message_id=2)
        state.members[self.bot_user["id"]] = "administrator" if bot_admin else "member"
        self.chats[cid] = state
        return chat

    def join(self, chat_id: int, user_id: int, status: str = "member") -> None:
        self.chats[chat_id].members[user_id] = status

    def change_member(self, chat_id: int, user_id: int, status: str, by: int | None = None) -> None:
        """An admin (`by`, else the user themself) changes a member's status: left, kicked,
        restricted, member, administrator. Telegram tells an admin bot with a chat_member
        update, delivered only to bots that asked for that type."""
        state = self.chats[chat_id]
        old = state.members.get(user_id, "left")
        state.members[user_id] = status
        if state.members.get(self.bot_user["id"]) != "administrator":
            return
        user = self.users[user_id]
        self._push_update(
            "chat_member",
            {
                "chat": state.chat,
                "from": self.users.get(by or user_id, user),
                "date": int(self.now()),
                "old_chat_member": self._member(user, old),
                "new_chat_member": self._member(user, status),
            },
        )

    def fail(
        self,
        method: str,
        *,
        code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        when: Callable[[JSON], bool] | None = None,
        after: bool = False,
    ) -> None:
        """Make the next `times` matching calls of `method` fail like Telegram would; with
        `after`, once they are carried out (a gateway error on the way back)."""
        if code == 429:
            retry_after = retry_after if retry_after is not None else 1
            error = APIError(
                429,
                description or f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        else:
            error = APIError(code, description or "Internal Server Error")
        self.failures.append(Failure(method.lower(), error, times, when, after))

    # ----------------------------------------------------- what users do (updates)

    def _push_update(self, kind: str, payload: JSON) -> JSON:
        update = {"update_id": next(self._update_ids), kind: payload}
        self.pushed.append(update)
        self._polls_after_last = False
        self.updates.append(update)
        self._notify()
        return update

    def _store(
        self,
        chat_id: int,
        sender: JSON | None,
        content: JSON,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        sender_is_bot: bool = False,
    ) -> JSON:
        state = self.chats[chat_id]
        message_id = state.next_message_id
        state.next_message_id += 1
        message: JSON = {
            "message_id": message_id,
            "date": int(self.now()),
            "chat": dict(state.chat),
        }
        if sender is not None:
            message["from"] = dict(sender)
        if thread_id is not None and state.chat.get("is_forum"):
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
            # Quirk: a topic message that replies to nothing "replies" to the topic's creation.
            root = self.messages.get((chat_id, thread_id))
            if reply_to is None and root is not None:
                message["reply_to_message"] = dict(root)
        if reply_to is not None:
            target = self.messages.get((chat_id, reply_to))
            if target is None:
                raise bad_request("message to be replied not found")
            message["reply_to_message"] = {
                k: v for k, v in target.items() if k != "reply_to_message"
            }
        message.update(content)
        self.messages[(chat_id, message_id)] = message
        self.stored_at[(chat_id, message_id)] = self.now()  # to the sub-second, for the sandbox
        return message

    def user_message(
        self,
        chat_id: int,
        user_id: int,
        content: JSON,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> JSON:
        message = self._store(
            chat_id, self.users[user_id], content, thread_id=thread_id, reply_to=reply_to
        )
        self._push_update("message", message)
        return message

    def user_edit(self, chat_id: int, message_id: int, text: str) -> JSON:
        message = self.messages[(chat_id, message_id)]
        key = "text" if "text" in message else "caption"
        message[key] = text
        message["edit_date"] = int(self.now())
        self._push_update("edited_message", dict(message))
        return message

    def user_presses(self, user_id: int, message: JSON, callback_data: str) -> str:
        query_id = str(next(self._ids) * 7919)
        query = {
            "id": query_id,
            "from": self.users[user_id],
            "message": dict(message),
            "chat_instance": str(message["chat"]["id"]),
            "data": callback_data,
        }
        self._push_update("callback_query", query)
        return query_id

    def user_blocks_bot(self, user_id: int) -> None:
        self.blocked_by.add(user_id)
        self._push_update(
            "my_chat_member",
            {
                "chat": self.chats[user_id].chat,
                "from": self.users[user_id],
                "date": int(self.now()),
                "old_chat_member": {"status": "member", "user": self.bot_user},
                "new_chat_member": {"status": "kicked", "user": self.bot_user, "until_date": 0},
            },
        )

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """An admin deletes a topic in the Telegram client."""
        self.topics[(chat_id, thread_id)].deleted = True

    # ------------------------------------------------------------------ queries

    def chat_messages(
        self, chat_id: int, *, thread_id: int | None = None, from_bot: bool | None = None
    ) -> list[JSON]:
        found = []
        for (cid, _mid), message in sorted(self.messages.items(), key=lambda kv: kv[0][1]):
            if cid != chat_id:
                continue
            if thread_id is not None and message.get("message_thread_id") != thread_id:
                continue
            if (
                from_bot is not None
                and (message.get("from", {}).get("id") == self.bot_user["id"]) != from_bot
            ):
                continue
            found.append(message)
        return found

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method.lower()]

    # ---------------------------------------------------------------- HTTP side

    _polls_after_last = True

    async def _params(self, request: web.Request) -> JSON:
        params: JSON = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = {"__file__": value.filename, "size": len(value.file.read())}
                    continue
                text = str(value)
                if text[:1] in "[{":
                    try:
                        params[key] = json.loads(text)
                        continue
                    except ValueError:
                        pass
                params[key] = text
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"].lower()
        params = await self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        limited = self._limited_chat(method, params) if self.limits is not None else None
        taken: tuple[int, float, int] | None = None  # the budget spent: given back if it fails
        try:
            failure = next(
                (
                    f
                    for f in self.failures
                    if f.method == method and (f.when is None or f.when(params))
                ),
                None,
            )
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                if not failure.after:
                    raise failure.error
            if limited is not None and self.limits is not None:
                now = self.monotonic()
                count = self._messages_in(params)
                wait = self.limits.take(limited, now, count)
                if wait > 0:
                    retry_after = self.limits.retry_after(limited, wait)
                    raise APIError(
                        429,
                        f"Too Many Requests: retry after {retry_after}",
                        {"retry_after": retry_after},
                    )
                taken = (limited, now, count)
            handler = getattr(self, f"api_{method}", None)
            if handler is not None:
                result = await handler(params)
            elif method in MEDIA_METHODS:
                result = await self._send_media(MEDIA_METHODS[method], params)
            else:
                raise APIError(404, "Not Found")
            if failure is not None:
                taken = None  # it was carried out: its budget stays spent
                raise failure.error
            if self.latency.get(method):
                self._notify()  # what it did is visible before its answer leaves
                await asyncio.sleep(self.latency[method])
        except APIError as exc:
            if taken is not None and self.limits is not None:
                self.limits.refund(*taken)
            call.ok, call.error = False, exc.description
            body: JSON = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            self._notify()
            return web.json_response(body, status=exc.code)
        if method != "getupdates":
            self._notify()
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _messages_in(params: JSON) -> int:
        """An album's call sends each of its messages (copyMessages' ids, a media group)."""
        for key in ("message_ids", "media"):
            value = params.get(key)
            if isinstance(value, list) and value:
                return len(value)
        return 1

    @staticmethod
    def _limited_chat(method: str, params: JSON) -> int | None:
        """The chat whose budget a call spends, if it spends one."""
        if not counted(method):
            return None
        try:
            return int(params.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None

    # --------------------------------------------------------- parameter helpers

    def _chat(self, params: JSON, key: str = "chat_id") -> ChatState:
        raw = params.get(key)
        if raw in (None, ""):
            raise bad_request(f"{key} is empty" if key == "chat_id" else "chat not found")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        state = self.chats.get(chat_id)
        if state is None:
            raise bad_request("chat not found")
        if state.chat["type"] == "private" and chat_id in self.blocked_by and key == "chat_id":
            raise APIError(403, "Forbidden: bot was blocked by the user")
        if state.chat["type"] != "private" and self.bot_user["id"] not in state.members:
            raise APIError(403, "Forbidden: bot is not a member of the supergroup chat")
        return state

    def _thread(self, state: ChatState, params: JSON) -> int | None:
        raw = params.get("message_thread_id")
        if raw in (None, "", 0, "0") or not state.chat.get("is_forum"):
            return None
        thread_id = int(raw)
        if thread_id == 1:  # the General topic
            return None
        topic = self.topics.get((state.chat["id"], thread_id))
        if topic is None or topic.deleted:
            raise bad_request("message thread not found")
        return thread_id

    def _markup(self, params: JSON) -> JSON | None:
        markup = params.get("reply_markup")
        if markup in (None, ""):
            return None
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
        return dict(markup)

    def _formatted(self, params: JSON, key: str) -> tuple[str | None, list[JSON]]:
        text = params.get(key)
        if text is None:
            return None, []
        text = str(text)
        mode = str(params.get("parse_mode") or "").lower()
        if mode == "html":
            try:
                return parse_html(text)
            except ParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        entities = params.get(key + "_entities" if key == "caption" else "entities") or []
        return text, list(entities)

    def _reply_to(self, chat_id: int, params: JSON) -> int | None:
        reply = params.get("reply_parameters")
        if params.get("reply_to_message_id"):
            target = int(params["reply_to_message_id"])
            allow = params.get("allow_sending_without_reply")
        elif isinstance(reply, dict) and reply.get("message_id"):
            target = int(reply["message_id"])
            allow = reply.get("allow_sending_without_reply")
        else:
            return None
        if (chat_id, target) not in self.messages and allow in (True, "true", "True"):
            return None  # Telegram sends it as a message that replies to nothing
        return target

    def _bot_sends(self, state: ChatState, params: JSON, content: JSON) -> JSON:
        thread_id = self._thread(state, params)
        markup = self._markup(params)
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        elif markup:
            # Reply keyboards are not part of the Message object; keep them for tests to inspect.
            self.reply_keyboards[state.chat["id"]] = markup
        return self._store(
            state.chat["id"],
            self.bot_user,
            content,
            thread_id=thread_id,
            reply_to=self._reply_to(state.chat["id"], params),
        )

    # ------------------------------------------------------------ Bot API methods

    async def api_getme(self, params: JSON) -> JSON:
        return self.bot_user

    async def api_getupdates(self, params: JSON) -> list[JSON]:
        if self.webhook_url:
            raise APIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(int(params.get("limit") or 100), 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = set(allowed) if allowed else set(DEFAULT_UPDATES)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        # Telegram drops updates of types the bot did not subscribe to.
        self.updates = [
            u
            for u in self.updates
            if next(k for k in u if k != "update_id") in self.allowed_updates
        ]
        if not self.updates:
            self._polls_after_last = True
            self._notify()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while not self.updates and not self._closing and loop.time() < deadline:
                await self._wait_change(deadline - loop.time())
        return self.updates[:limit]

    async def api_deletewebhook(self, params: JSON) -> bool:
        self.webhook_url = ""
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self.updates.clear()
        return True

    async def api_setwebhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        self.webhook_secret = str(params.get("secret_token") or "")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list) and allowed:
            self.allowed_updates = set(allowed)
        if url and self._webhook_task is None:
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        return True

    async def _deliver_webhooks(self) -> None:
        """Like Telegram: updates of one chat are posted one at a time, in order, each until
        it is answered with 200; different chats go in parallel."""
        busy: set[int] = set()
        in_flight: set[int] = set()
        turn = itertools.count()
        async with ClientSession(timeout=ClientTimeout(total=60)) as http:

            async def post(update: JSON, key: int) -> None:
                try:
                    while not self._closing and self.webhook_url:
                        targets = self.balance_to or [self.webhook_url]
                        target = targets[next(turn) % len(targets)]
                        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret}
                        try:
                            async with http.post(target, json=update, headers=headers) as r:
                                status = r.status
                        except (ClientError, OSError, TimeoutError):
                            status = 0
                        self.webhook_posts.append((target, update["update_id"], status))
                        if status == 200:
                            self.updates = [u for u in self.updates if u is not update]
                            return
                        await asyncio.sleep(0.05)  # Telegram backs off before retrying
                finally:
                    busy.discard(key)
                    in_flight.discard(update["update_id"])
                    self._notify()

            while not self._closing and self.webhook_url:
                for update in list(self.updates):
                    key = _update_chat(update)
                    if update["update_id"] in in_flight or key in busy:
                        continue
                    busy.add(key)
                    in_flight.add(update["update_id"])
                    task = asyncio.create_task(post(update, key))
                    self._posts.add(task)
                    task.add_done_callback(self._posts.discard)
                await self._wait_change(1.0)
        self._webhook_task = None

    async def api_getwebhookinfo(self, params: JSON) -> JSON:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    async def api_setmycommands(self, params: JSON) -> bool:
        scope = params.get("scope") or {"type": "default"}
        key = f"{scope.get('type')}:{params.get('language_code') or ''}"
        self.commands[key] = list(params.get("commands") or [])
        return True

    async def api_getmycommands(self, params: JSON) -> list[JSON]:
        scope = params.get("scope") or {"type": "default"}
        return self.commands.get(f"{scope.get('type')}:{params.get('language_code') or ''}", [])

    async def api_deletemycommands(self, params: JSON) -> bool:
        return True

    async def api_getchat(self, params: JSON) -> JSON:
        state = self._chat(params)
        return {**state.chat, "accent_color_id": 0, "max_reaction_count": 11}

    async def api_getchatmember(self, params: JSON) -> JSON:
        state = self._chat(params)
        user_id = int(params["user_id"])
        user = self.users.get(user_id) or (
            self.bot_user if user_id == self.bot_user["id"] else None
        )
        if user is None:
            raise bad_request("PARTICIPANT_ID_INVALID")
        return self._member(user, state.members.get(user_id, "left"))

    @staticmethod
    def _member(user: JSON, status: str) -> JSON:
        """A ChatMember object as the Bot API shapes it for each status."""
        member: JSON = {"status": status, "user": user}
        if status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_pin_messages=True,
                can_manage_topics=True,
            )
        if status == "restricted":
            member.update(
                is_member=True,
                until_date=0,
                **dict.fromkeys(
                    (
                        "can_send_messages", "can_send_audios", "can_send_documents",
                        "can_send_photos", "can_send_videos", "can_send_video_notes",
                        "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
                        "can_add_web_page_previews", "can_react_to_messages", "can_edit_tag",
                        "can_change_info", "can_invite_users",
                        "can_pin_messages", "can_manage_topics",
                    ),
                    False,
                ),
            )  # fmt: skip
        if status == "kicked":
            member["until_date"] = 0
        return member

    async def api_leavechat(self, params: JSON) -> bool:
        state = self._chat(params)
        state.members.pop(self.bot_user["id"], None)
        return True

    async def api_sendchataction(self, params: JSON) -> bool:
        self._chat(params)
        return True

    async def api_sendmessage(self, params: JSON) -> JSON:
        state = self._chat(params)
        text, entities = self._formatted(params, "text")
        if not text or not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > 4096:
            raise bad_request("message is too long")
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._bot_sends(state, params, content)

    async def _send_media(self, kind: str, params: JSON) -> JSON:
        state = self._chat(params)
        media = params.get(kind)
        if media in (None, ""):
            raise bad_request(f"there is no {kind} in the request")
        if isinstance(media, str) and media.startswith("attach://"):
            media = params.get(media[len("attach://") :]) or media  # a multipart upload
        file_id = media if isinstance(media, str) else f"file-{next(self._ids)}"
        content: JSON = {kind: self._media_object(kind, file_id)}
        if isinstance(media, dict) and kind == "document":
            content[kind] = {
                **content[kind],
                "file_name": media.get("__file__"),
                "file_size": media.get("size"),
            }
        caption, entities = self._formatted(params, "caption")
        if caption:
            if utf16_len(caption) > 1024:
                raise bad_request("message caption is too long")
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        return self._bot_sends(state, params, content)

    def _media_object(self, kind: str, file_id: str) -> Any:
        base = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if kind == "photo":
            return [{**base, "width": 90, "height": 90}, {**base, "width": 800, "height": 800}]
        if kind == "sticker":
            return {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        if kind in ("video", "animation"):
            return {**base, "width": 640, "height": 480, "duration": 3}
        if kind in ("voice", "audio"):
            return {**base, "duration": 3}
        if kind == "video_note":
            return {**base, "length": 240, "duration": 3}
        return base

    async def api_copymessage(self, params: JSON) -> JSON:
        target = self._chat(params)
        source_chat = self._chat(params, "from_chat_id")
        message_id = int(params.get("message_id") or 0)
        source = self.messages.get((source_chat.chat["id"], message_id))
        if source is None:
            raise bad_request("message to copy not found")
        if any(key in source for key in SERVICE_KEYS):
            raise bad_request("message can't be copied")
        content = {k: v for k, v in source.items() if k in CONTENT_KEYS and k != "media_group_id"}
        if "caption" in params:
            caption, entities = self._formatted(params, "caption")
            content.pop("caption_entities", None)
            if caption:
                content["caption"] = caption
                if entities:
                    content["caption_entities"] = entities
            else:
                content.pop("caption", None)
        copy = self._bot_sends(target, params, content)
        return {"message_id": copy["message_id"]}

    async def api_copymessages(self, params: JSON) -> list[JSON]:
        ids = params.get("message_ids") or []
        results = []
        group = f"g{next(self._ids)}"
        for message_id in sorted(int(i) for i in ids):
            single = {**params, "message_id": message_id}
            single.pop("message_ids", None)
            copied = await self.api_copymessage(single)
            stored = self.messages[(int(params["chat_id"]), copied["message_id"])]
            source = self.messages.get((int(params["from_chat_id"]), message_id), {})
            if "media_group_id" in source:
                stored["media_group_id"] = group
            results.append(copied)
        return results

    async def api_forwardmessage(self, params: JSON) -> JSON:
        target = self._chat(params)
        source_chat = self._chat(params, "from_chat_id")
        source = self.messages.get((source_chat.chat["id"], int(params.get("message_id") or 0)))
        if source is None:
            raise bad_request("message to forward not found")
        content = {k: v for k, v in source.items() if k in CONTENT_KEYS}
        sender = source.get("from")
        content["forward_origin"] = (
            {"type": "user", "sender_user": sender, "date": source["date"]}
            if sender
            else {"type": "hidden_user", "sender_user_name": "Hidden", "date": source["date"]}
        )
        return self._bot_sends(target, params, content)

    async def api_sendmediagroup(self, params: JSON) -> list[JSON]:
        state = self._chat(params)
        media = params.get("media") or []
        if not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media items")
        group = f"g{next(self._ids)}"
        sent = []
        for item in media:
            kind = item["type"]
            file_id = (
                item["media"]
                if not str(item["media"]).startswith("attach://")
                else f"file-{next(self._ids)}"
            )
            content: JSON = {kind: self._media_object(kind, file_id), "media_group_id": group}
            if item.get("caption"):
                content["caption"] = item["caption"]
            sent.append(self._bot_sends(state, params, content))
        return sent

    async def api_sendlocation(self, params: JSON) -> JSON:
        state = self._chat(params)
        content = {
            "location": {
                "latitude": float(params["latitude"]),
                "longitude": float(params["longitude"]),
            }
        }
        return self._bot_sends(state, params, content)

    async def api_sendcontact(self, params: JSON) -> JSON:
        state = self._chat(params)
        content = {
            "contact": {"phone_number": params["phone_number"], "first_name": params["first_name"]}
        }
        return self._bot_sends(state, params, content)

    def _editable(self, params: JSON) -> JSON:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not emulated")
        state = self._chat(params)
        message = self.messages.get((state.chat["id"], int(params.get("message_id") or 0)))
        if message is None:
            raise bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    async def api_editmessagetext(self, params: JSON) -> JSON:
        message = self._editable(params)
        text, entities = self._formatted(params, "text")
        if not text:
            raise bad_request("message text is empty")
        markup = self._markup(params)
        if (
            text == message.get("text")
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(self.now())
        self.edits.append(dict(message))
        return message

    async def api_editmessagecaption(self, params: JSON) -> JSON:
        message = self._editable(params)
        caption, _entities = self._formatted(params, "caption")
        message["caption"] = caption or ""
        message["edit_date"] = int(self.now())
        self.edits.append(dict(message))
        return message

    async def api_editmessagereplymarkup(self, params: JSON) -> JSON:
        message = self._editable(params)
        markup = self._markup(params)
        if markup == message.get("reply_markup"):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
            )
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        self.edits.append(dict(message))
        return message

    async def api_deletemessage(self, params: JSON) -> bool:
        state = self._chat(params)
        if self.messages.pop((state.chat["id"], int(params.get("message_id") or 0)), None) is None:
            raise bad_request("message to delete not found")
        return True

    async def api_answercallbackquery(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if not query_id or query_id in self.callback_answers:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.callback_answers[query_id] = params
        return True

    async def api_pinchatmessage(self, params: JSON) -> bool:
        state = self._chat(params)
        message_id = int(params.get("message_id") or 0)
        if (state.chat["id"], message_id) not in self.messages:
            raise bad_request("message to pin not found")
        state.pinned.append(message_id)
        return True

    async def api_unpinchatmessage(self, params: JSON) -> bool:
        state = self._chat(params)
        if state.pinned:
            state.pinned.pop()
        return True

    def _forum(self, params: JSON) -> ChatState:
        state = self._chat(params)
        if not state.chat.get("is_forum"):
            raise bad_request("the chat is not a forum")
        if state.members.get(self.bot_user["id"]) != "administrator":
            raise bad_request("not enough rights to manage topics")
        return state

    def _topic(self, state: ChatState, params: JSON) -> Topic:
        topic = self.topics.get((state.chat["id"], int(params.get("message_thread_id") or 0)))
        if topic is None or topic.deleted:
            raise bad_request("TOPIC_ID_INVALID")
        return topic

    async def api_createforumtopic(self, params: JSON) -> JSON:
        state = self._forum(params)
        name = str(params.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
        icon_color = int(params.get("icon_color") or 7322096)
        created = self._store(
            state.chat["id"],
            self.bot_user,
            {"forum_topic_created": {"name": name, "icon_color": icon_color}},
        )
        # Quirk: the topic's thread id is the id of its "topic created" service message.
        thread_id = created["message_id"]
        created["message_thread_id"] = thread_id
        created["is_topic_message"] = True
        self.topics[(state.chat["id"], thread_id)] = Topic(
            state.chat["id"], thread_id, name, icon_color
        )
        return {"message_thread_id": thread_id, "name": name, "icon_color": icon_color}

    async def api_editforumtopic(self, params: JSON) -> bool:
        state = self._forum(params)
        topic = self._topic(state, params)
        name = params.get("name")
        if name is not None:
            if name == topic.name:
                raise bad_request("TOPIC_NOT_MODIFIED")
            topic.name = str(name)
        self._store(
            state.chat["id"],
            self.bot_user,
            {"forum_topic_edited": {"name": topic.name}},
            thread_id=topic.thread_id,
        )
        return True

    async def api_closeforumtopic(self, params: JSON) -> bool:
        state = self._forum(params)
        topic = self._topic(state, params)
        if topic.closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = True
        self._store(
            state.chat["id"], self.bot_user, {"forum_topic_closed": {}}, thread_id=topic.thread_id
        )
        return True

    async def api_reopenforumtopic(self, params: JSON) -> bool:
        state = self._forum(params)
        topic = self._topic(state, params)
        if not topic.closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = False
        self._store(
            state.chat["id"], self.bot_user, {"forum_topic_reopened": {}}, thread_id=topic.thread_id
        )
        return True

    async def api_deleteforumtopic(self, params: JSON) -> bool:
        state = self._forum(params)
        topic = self._topic(state, params)
        topic.deleted = True
        return True

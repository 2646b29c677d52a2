"""The sandbox: the whole desk without Telegram.

`python -m bot sandbox` runs the project's Bot API emulator in-process (the same one the tests
use), the real bot against it on SQLite with the embedded NLU, and a web page that shows both
sides at once: customers' private chats and the staff forum. Nothing here is imported when the
bot serves Telegram.
"""

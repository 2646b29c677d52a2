"""What every layer shares: the clock, the bot's texts and their languages, facts about a
message, the buttons' payloads. Imports nothing from bot/ or handoff/."""

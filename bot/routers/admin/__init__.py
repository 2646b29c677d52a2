"""Admin commands, in a private chat with the bot, for users listed in `admin_ids`."""

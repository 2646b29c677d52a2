"""`python -m bot`: run the support bot."""

import sys

from bot.app import main

sys.exit(main())

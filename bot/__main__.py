import sys

from bot.staff.cli import main

sys.exit(main())

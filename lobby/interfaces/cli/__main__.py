import sys

from lobby.interfaces.cli import main

sys.exit(main())

"""`python -m hydron` is the `hydron` command."""

import sys

from hydron.cli.main import main

sys.exit(main())

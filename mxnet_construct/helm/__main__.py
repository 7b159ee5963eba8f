"""``python -m mxnet_construct.helm``: print or rewrite the migration table."""

import sys

from ._migration import main

sys.exit(main())

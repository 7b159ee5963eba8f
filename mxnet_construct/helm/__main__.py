import sys

from ._params import main

sys.exit(main())

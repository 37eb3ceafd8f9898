import os
import sys

from .cli import main

code = main()
# The work is done and the database closed: leave without the interpreter's teardown of every module and
# frame (a second or more after a large analysis), once what was printed is out.
try:
    sys.stdout.flush()
    sys.stderr.flush()
except (BrokenPipeError, ValueError):  # a reader that stopped listening, or a stream closed already
    pass
os._exit(code)

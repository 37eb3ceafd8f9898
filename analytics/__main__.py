import gc
import os
import sys

# Start-up creates the libraries' objects for good: no collector passes over them while they are made (cli.main
# turns it back on, with them set aside, once the command's libraries are in).
gc.disable()
from analytics.surface.cli import main  # noqa: E402

code = main()
# The work is done and the database closed: leave without the interpreter's teardown of every module and
# frame (a second or more after a large analysis), once what was printed is out.
try:
    sys.stdout.flush()
    sys.stderr.flush()
except (BrokenPipeError, ValueError):  # a reader that stopped listening, or a stream closed already
    pass
os._exit(code)

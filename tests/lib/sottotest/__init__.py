"""sottotest: what every Python test driver of sotto shares (stdlib only).

  timescale  SCALE, the one factor every deadline is multiplied by
  checks     TestFailure, check, check_eq, fail, wait_until, deadline,
             SoftChecks, run_main
  wire       the wire-v1 frame codec (encode, split, read from a file or stream)
  net        free_port, listening
  procs      command wrappers (valgrind), die-with-the-driver, stop a process
  batch      BatchClient: a `sotto --batch` process read into JSON events

A driver puts tests/lib on sys.path and imports what it needs:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
    from sottotest import check, frame, free_port
"""
from .timescale import SCALE, scaled  # noqa: F401
from .checks import (TestFailure, SoftChecks, check, check_eq,  # noqa: F401
                     deadline, fail, run_main, wait_until)
from .wire import (DAT, HDR, HDR_LEN, INI, KEY, LEFT, LEN_MIN, TYPE_NAMES,  # noqa: F401
                   Frame, async_read_frame, frame, read_frame, room_prefix,
                   split_frame)
from .net import free_port, listening  # noqa: F401
from .procs import (CLIENT_WRAPPER, RELAY_WRAPPER, die_with_parent,  # noqa: F401
                    stop_process)
from .batch import BatchClient  # noqa: F401

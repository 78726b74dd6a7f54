# SPDX-License-Identifier: ISC
"""sottotest: what every Python test driver of sotto shares (stdlib only).

  timescale  SCALE, the one factor every deadline is multiplied by
  checks     TestFailure, check, check_eq, fail, wait_until, deadline,
             SoftChecks, run_main
  wire       the wire-v1 frame codec (encode, split, read from a file or stream)
  net        free_port, listen_socket, listening
  procs      command wrappers (valgrind), die-with-the-driver, stop a process,
             BusyCores (every core busy, bounded in time)
  batch      BatchClient: a `sotto --batch` process read into JSON events
  redis      Redis: a private redis-server for cluster tests

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
from .net import free_port, listen_socket, listening  # noqa: F401
from .procs import (CLIENT_WRAPPER, RELAY_WRAPPER, BusyCores, die_with_parent,  # noqa: F401
                    stop_process)
from .batch import BatchClient  # noqa: F401

# No one's own ~/.config/sotto/config may change a client under test: every
# child of a driver inherits a config folder that does not exist (tests of
# the config file pass their own XDG_CONFIG_HOME).
import os as _os  # noqa: E402
_os.environ["XDG_CONFIG_HOME"] = "/nonexistent/sotto-tests-config"
from .redis import Redis  # noqa: F401,E402

# The client keeps an encrypted history under $XDG_DATA_HOME/sotto/: a test
# run writes it to a folder of its own, removed when the driver ends, never
# to the home directory of whoever runs the tests.
import atexit as _atexit  # noqa: E402
import shutil as _shutil  # noqa: E402
import tempfile as _tempfile  # noqa: E402

if "SOTTO_TEST_DATA_HOME" not in _os.environ:
    _data = _tempfile.mkdtemp(prefix="sotto-test-data-")
    _os.environ["SOTTO_TEST_DATA_HOME"] = _os.environ["XDG_DATA_HOME"] = _data
    _atexit.register(_shutil.rmtree, _data, True)

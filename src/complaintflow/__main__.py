"""``python -m complaintflow``: the command line (see :mod:`complaintflow.cli`)."""

from complaintflow.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

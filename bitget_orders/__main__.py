"""`python -m bitget_orders ...`: the same as the `bitget-orders` console script."""

from bitget_orders.cli import main

raise SystemExit(main())

"""localstripe lists a kind of object by scanning its whole store, so it slowed as it grew.

It keeps every object in one dict (``"charge:ch_…"``, ``"customer:cus_…"``) and lists a kind by
reading all of it; worse, answering a charge lists its refunds (``amount_refunded``, ``refunds``),
so every charge and every PaymentIntent answered cost a pass over the whole store. Profiled:
0.10 s a charge with its look-up on an empty emulator, 0.67 s after 1,500; in `make bench`'s
2,000-pledge collection the emulator, not the app or Stripe's limits, set the pace (7.8 charges
a second, its stalls releasing bursts that met 429s).

Here the store also keeps its objects by kind, in the order they were first stored (the order
localstripe lists them in), and listing reads only that kind.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from localstripe import resources
from localstripe.errors import UserError

_by_kind: defaultdict[str, dict[str, Any]] = defaultdict(dict)


def _kind(key: str) -> str:
    return key.partition(":")[0]


def _setitem(self: resources.Store, key: str, value: Any) -> None:
    dict.__setitem__(self, key, value)
    _by_kind[_kind(key)][key] = value
    self.dump_to_disk()


def _delitem(self: resources.Store, key: str) -> None:
    dict.__delitem__(self, key)
    _by_kind[_kind(key)].pop(key, None)
    self.dump_to_disk()


def _clear(self: resources.Store) -> None:
    dict.clear(self)
    _by_kind.clear()


def _update(self: resources.Store, *args: Any, **kwargs: Any) -> None:
    for key, value in dict(*args, **kwargs).items():
        dict.__setitem__(self, key, value)
        _by_kind[_kind(key)][key] = value


def _list_all(cls: type[resources.StripeObject], url: str, limit=None, starting_after=None, **kwargs):
    if kwargs:
        raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
    listed = resources.List(url, limit=limit, starting_after=starting_after)
    listed._list = list(_by_kind.get(cls.object, {}).values())
    return listed


def install() -> None:
    """Before anything is stored: the index starts from the store as it is."""
    resources.Store.__setitem__ = _setitem
    resources.Store.__delitem__ = _delitem
    resources.Store.clear = _clear
    resources.Store.update = _update
    _by_kind.clear()
    for key, value in resources.store.items():
        _by_kind[_kind(key)][key] = value
    resources.StripeObject._api_list_all = classmethod(_list_all)

"""Import of clients' networks (the client form's *Network members*): one row per person, matched by
the client's personal ID code and the person's name. A case manager names only clients in their scope
(any other reads as no such client). Checked by the client's rules (``client_errors``), as the form
checks its network. Network members have no version column: a fingerprint stands for it."""

from flask_babel import lazy_gettext as _l

from .. import codes
from ..access import client_condition
from ..clients import Client, NetworkMember, NetworkRole, client_errors
from . import values
from .composite import CompositeKey
from .engine import Field
from .registers import ADAPTERS, _choice, _email
from .related import Related


class ClientByCode(Related):
    """A client by personal ID code, written with or without spaces."""

    def __call__(self, raw):
        text = values.text(raw)
        if text is not None and text.strip():
            try:
                raw = codes.personal_code(text)
            except ValueError as e:
                raise values.CellError(str(e)) from None
        return super().__call__(raw)


def network_rules(member: NetworkMember) -> dict[str, str]:
    """The client's rules about its network, on this row's person."""
    errors = client_errors(member.client) if member.client is not None else {}
    return {"name": errors["network"]} if "network" in errors else {}


class NetworkImport(CompositeKey):
    name = "network"
    title = _l("Network members")
    model = NetworkMember
    key = "client"
    parts = (("client", "client_id"), ("name", "name"))
    fingerprint = ("client_id", "role", "name", "relation", "phone", "email")
    rules = network_rules

    def columns(self):
        where = () if self.scope_user_id is None else (client_condition(self.scope_user_id),)
        clients = ClientByCode(self.session, Client, Client.personal_code, where=where, message=_l("No such client"))
        return [
            Field("client", _l("Personal ID code"), parse=clients, is_text=False, required=True),
            _choice(NetworkRole, "role", _l("Role"), required=True),
            Field("name", _l("Name"), required=True),
            Field("relation", _l("Relation")),
            Field("phone", _l("Phone")),
            Field("email", _l("E-mail"), parse=_email),
        ]


ADAPTERS[NetworkImport.name] = NetworkImport

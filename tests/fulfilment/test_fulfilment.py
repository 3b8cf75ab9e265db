"""Fulfilment: one pledge at a time or a CSV of tracking numbers (all rows or none), the backer's
"received", and the shipped e-mail."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings

from core.errors import Conflict, NotAllowed
from fulfilment.models import Fulfilment, FulfilmentMail
from fulfilment.services import (
    fulfilment_import_csv,
    fulfilment_mails_send,
    fulfilment_mark_received,
    fulfilment_update,
)
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # funded: conftest.py


def _ship(funded, name="vinyl", **fields):
    pledge = funded["pledges"][name]
    values = {"status": "shipped", "carrier": "DHL", "tracking_number": "00340434161094015902", **fields}
    return fulfilment_update(pledge=pledge, user=funded["campaign"].creator, **values)


def test_the_creator_ships_and_the_backer_hears_of_it_once(funded):
    fulfilment = _ship(funded, tracking_url="https://www.dhl.de/track?id=00340434161094015902")
    _ship(funded, tracking_url="https://www.dhl.de/track?id=00340434161094015902")  # saved again: no new e-mail
    mail.outbox.clear()

    assert fulfilment_mails_send() == 1

    (message,) = mail.outbox
    assert message.to == [funded["pledges"]["vinyl"].backer.email]
    assert "00340434161094015902" in message.body
    assert "https://www.dhl.de/track?id=00340434161094015902" in message.body
    assert (fulfilment.status, fulfilment.carrier) == ("shipped", "DHL")


def test_corrected_tracking_is_mailed_again(funded):
    _ship(funded)
    _ship(funded, tracking_number="1Z999AA10123456784")
    assert sorted(FulfilmentMail.objects.values_list("key", flat=True)) == sorted(
        [
            f"shipped:{funded['pledges']['vinyl'].pk}:00340434161094015902",
            f"shipped:{funded['pledges']['vinyl'].pk}:1Z999AA10123456784",
        ]
    )


def test_delivered_then_received_is_final(funded):
    pledge = funded["pledges"]["vinyl"]
    creator = funded["campaign"].creator
    with pytest.raises(Conflict):
        fulfilment_mark_received(pledge=pledge, user=pledge.backer)  # not shipped yet
    _ship(funded)
    fulfilment_update(pledge=pledge, user=creator, status="delivered")
    with pytest.raises(NotAllowed):
        fulfilment_mark_received(pledge=pledge, user=creator)

    assert fulfilment_mark_received(pledge=pledge, user=pledge.backer).status == "received"
    with pytest.raises(Conflict):
        fulfilment_update(pledge=pledge, user=creator, status="shipped", carrier="DHL", tracking_number="1")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"carrier": ""}, "carrier"),
        ({"carrier": '=HYPERLINK("http://x")'}, "carrier"),
        ({"carrier": "D\x07HL"}, "carrier"),
        ({"tracking_number": ""}, "tracking_number"),
        ({"tracking_number": "=1+1"}, "tracking_number"),
        ({"tracking_number": "1" * 61}, "tracking_number"),
        ({"tracking_url": "javascript:alert(1)"}, "tracking_url"),
        ({"tracking_url": "https://" + "a" * 500 + ".de"}, "tracking_url"),
    ],
)
def test_bad_shipping_details_are_refused_and_nothing_is_kept(funded, fields, field):
    with pytest.raises(ValidationError) as refused:
        _ship(funded, **fields)
    assert list(refused.value.message_dict) == [field]
    assert not Fulfilment.objects.filter(status="shipped").exists()
    assert not FulfilmentMail.objects.exists()


def test_only_the_creator_or_staff_with_the_permission_update_fulfilment(funded):
    with pytest.raises(NotAllowed):
        fulfilment_update(pledge=funded["pledges"]["vinyl"], user=factories.UserFactory(), status="shipped")
    viewer = factories.StaffFactory(permissions=["fulfilment.view_fulfilment"])
    with pytest.raises(NotAllowed):
        fulfilment_update(pledge=funded["pledges"]["vinyl"], user=viewer, status="delivered")
    changer = factories.StaffFactory(permissions=["fulfilment.change_fulfilment"])
    fulfilment = fulfilment_update(
        pledge=funded["pledges"]["vinyl"], user=changer, status="shipped", carrier="UPS", tracking_number="1Z9"
    )
    assert fulfilment.carrier == "UPS"


def test_a_pledge_of_a_live_campaign_is_not_fulfilled(creator):
    campaign = factories.LiveCampaignFactory(creator=creator)
    pledge = factories.PledgeFactory(campaign=campaign)
    with pytest.raises(Conflict):
        fulfilment_update(pledge=pledge, user=creator, status="shipped", carrier="DHL", tracking_number="1")


# --- the CSV ---------------------------------------------------------------------------------


def _numbers(funded) -> dict[str, int]:
    """Backer numbers as the backer report gives them: pledge order."""
    ordered = sorted(funded["pledges"].items(), key=lambda item: (item[1].created_at, item[1].pk))
    return {name: number for number, (name, _pledge) in enumerate(ordered, start=1)}


def _upload(funded, text: str, user=None) -> int:
    return fulfilment_import_csv(
        campaign=funded["campaign"], user=user or funded["campaign"].creator, data=text.encode()
    )


def test_a_good_csv_ships_every_row_and_mails_each_backer(funded):
    n = _numbers(funded)
    text = (
        "\ufeffBacker Number,Carrier,Tracking Number,Tracking URL\r\n"
        f"{n['vinyl']},DHL,00340434161094015902,https://www.dhl.de/t?1\r\n"
        f"{n['vinyl2']},Deutsche Post,RR123456785DE,\r\n"
        "\r\n"
    )
    assert _upload(funded, text) == 2
    mail.outbox.clear()
    fulfilment_mails_send()

    shipped = dict(Fulfilment.objects.filter(status="shipped").values_list("pledge_id", "tracking_number"))
    assert shipped == {
        funded["pledges"]["vinyl"].pk: "00340434161094015902",
        funded["pledges"]["vinyl2"].pk: "RR123456785DE",
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [funded["pledges"]["vinyl"].backer.email, funded["pledges"]["vinyl2"].backer.email]
    )
    assert _upload(funded, text) == 0  # the same file again changes nothing and mails nobody


def test_pledge_ids_work_too_and_our_own_formula_quote_is_taken_off(funded):
    pledge = funded["pledges"]["digital"]
    assert _upload(funded, f"Pledge ID,Carrier,Tracking\n{pledge.pk},'DHL Express,AB-12\n") == 1
    assert Fulfilment.objects.get(pledge=pledge).carrier == "DHL Express"


def test_malformed_rows_are_refused_with_their_line_numbers_and_nothing_is_written(funded):
    n = _numbers(funded)
    text = (
        "Backer Number,Carrier,Tracking Number\n"
        f"{n['vinyl']},DHL,00340434161094015902\n"  # line 2: good
        "abc,DHL,1\n"  # line 3: not a number
        f"{n['vinyl2']},,1\n"  # line 4: no carrier
        f"{n['digital']},DHL,=HYPERLINK(1)\n"  # line 5: formula
        "999,DHL,1\n"  # line 6: no such backer
        f"{n['vinyl']},UPS,2\n"  # line 7: the pledge of line 2 again
        '"multi\nline",DHL,1\n'  # lines 8-9: a number with a line break
        f"{n['none']},=cmd|' /C calc'!A0,1\n"  # line 10: formula carrier
    )
    with pytest.raises(ValidationError) as refused:
        _upload(funded, text)

    lines = [message.split(":")[0] for message in refused.value.message_dict["file"]]
    assert lines == ["Line 3", "Line 4", "Line 5", "Line 6", "Line 7", "Line 8", "Line 10"]
    assert not Fulfilment.objects.exists()
    assert not FulfilmentMail.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Carrier,Tracking Number\nDHL,1\n",
        "Backer Number,Pledge ID,Carrier,Tracking Number\n1,1,DHL,1\n",
        "Backer Number,Carrier,Carrier,Tracking Number\n1,DHL,DHL,1\n",
        "Backer Number,Carrier,Tracking Number\n",
    ],
)
def test_a_file_without_the_right_header_or_rows_is_refused(funded, text):
    with pytest.raises(ValidationError) as refused:
        _upload(funded, text)
    assert list(refused.value.message_dict) == ["file"]


def test_binary_or_non_utf8_files_are_refused(funded):
    for data in (b"\xff\xfe\x00B\x00a", "Backer Number,Carrier,Tracking\n1,Müller,1\n".encode("latin-1")):
        with pytest.raises(ValidationError):
            fulfilment_import_csv(campaign=funded["campaign"], user=funded["campaign"].creator, data=data)


def test_another_campaigns_pledge_is_refused(funded):
    other = factories.CollectedPledgeFactory()
    with pytest.raises(ValidationError) as refused:
        _upload(funded, f"Pledge ID,Carrier,Tracking\n{other.pk},DHL,1\n")
    assert refused.value.message_dict["file"][0].startswith("Line 2:")
    assert not Fulfilment.objects.exists()


def test_a_pledge_the_backer_marked_received_fails_the_whole_file(funded):
    pledge = funded["pledges"]["vinyl"]
    _ship(funded)
    fulfilment_mark_received(pledge=pledge, user=pledge.backer)
    n = _numbers(funded)

    with pytest.raises(ValidationError) as refused:
        _upload(funded, f"Backer Number,Carrier,Tracking\n{n['vinyl2']},DHL,7\n{n['vinyl']},DHL,8\n")

    assert refused.value.message_dict["file"] == ["Line 3: the backer marked this reward received."]
    assert not Fulfilment.objects.filter(pledge=funded["pledges"]["vinyl2"]).exclude(status="unfulfilled").exists()


@override_settings(FULFILMENT_CSV_MAX_BYTES=1000)
def test_a_huge_file_is_refused_by_size(funded):
    with pytest.raises(ValidationError) as refused:
        _upload(funded, "Backer Number,Carrier,Tracking\n" + "1,DHL,1\n" * 200)
    assert "too large" in refused.value.message_dict["file"][0]


@override_settings(FULFILMENT_CSV_MAX_ROWS=3)
def test_too_many_rows_are_refused(funded):
    with pytest.raises(ValidationError) as refused:
        _upload(funded, "Backer Number,Carrier,Tracking\n" + "".join(f"{n},DHL,{n}\n" for n in range(1, 5)))
    assert refused.value.message_dict["file"] == ["At most 3 rows per file."]
    assert not Fulfilment.objects.exists()


def test_only_the_creator_uploads(funded):
    with pytest.raises(NotAllowed):
        _upload(funded, "Backer Number,Carrier,Tracking\n1,DHL,1\n", user=funded["pledges"]["vinyl"].backer)

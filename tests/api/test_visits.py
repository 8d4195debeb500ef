"""Visits through the API: schedule with a link that works, list, read, revoke (the guest
is told, the link refused everywhere), and the invitation as e-mail text and calendar."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from tests.api.conftest import Api, soon, token_of
from tests.fixtures.servers import JOIN_DETAILS

memory = pytest.mark.parametrize("store_kind", ["memory"])


async def _schedule(api: Api, **body: object) -> dict[str, object]:
    answer = await api.call("POST", f"/rooms/{api.room}/visits", body={"start": soon(), **body})
    assert answer.status == 201, answer.text
    return dict(answer.json)


@memory
async def test_a_scheduled_visits_link_lets_the_guest_into_the_lobby(api: Api) -> None:
    visit = await _schedule(api, role="interpreter", duration_minutes=45, language="en")
    assert (visit["role"], visit["duration_minutes"], visit["status"]) == (
        "interpreter",
        45,
        "scheduled",
    )
    assert visit["state"] == "invited"
    link = visit["invitation"]["link"]  # type: ignore[index]
    assert link.startswith(f"{api.server.base_url}/join#")
    start = dt.datetime.fromisoformat(str(visit["start"]))
    assert start.utcoffset() == dt.timedelta(hours=1), "on the clinic's clock (Oslo, winter)"
    guest = await api.harness.guest(api.server, token_of(link))
    ack = await guest.call("join", JOIN_DETAILS)
    assert ack["ok"] and ack["visit"]["role"] == "interpreter"
    again = (await api.call("GET", f"/visits/{visit['visit_id']}")).json
    assert again["state"] == "waiting"
    assert again["invitation"]["link"] == link, "the same link every time"


@memory
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"start": "tomorrow"}, 422, "invalid_time"),
        ({"start": "2030-01-01T10:00:00"}, 400, "invalid_payload"),
        ({"start": "2020-01-01T10:00:00+01:00"}, 422, "appointment_in_past"),
        ({"start": "2099-01-01T10:00:00+01:00"}, 422, "appointment_too_far"),
        ({"role": "doctor"}, 400, "invalid_payload"),
        ({"duration_minutes": 0}, 400, "invalid_payload"),
        ({"duration_minutes": 1441}, 400, "invalid_payload"),
        ({"duration_minutes": True}, 400, "invalid_payload"),
        ({"send_email": True}, 422, "no_recipient"),
        ({"email": "not-an-address"}, 422, "invalid_email"),
        ({"email": "kari@example.no\r\nBcc: x@example.com"}, 422, "invalid_email"),
        ({"language": "de"}, 400, "invalid_payload"),
        ({"patient_name": "Kari"}, 400, "invalid_payload"),
    ],
)
async def test_a_bad_visit_is_refused_and_nothing_is_scheduled(
    api: Api, body: dict[str, object], status: int, code: str
) -> None:
    answer = await api.call("POST", f"/rooms/{api.room}/visits", body={"start": soon(), **body})
    assert (answer.status, answer.error) == (status, code), answer.text
    assert await api.harness.directory.schedule.page(api.room, None, 10) == []


@memory
async def test_visits_are_listed_by_time_in_pages(api: Api) -> None:
    for minutes in (50, 10, 30, 20, 40):
        await _schedule(api, start=soon(minutes))
    starts, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.call("GET", f"/rooms/{api.room}/visits{query}")).json
        starts += [v["start"] for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert starts == sorted(starts) and len(starts) == 5
    later = (
        await api.call("GET", f"/rooms/{api.room}/visits?from={soon(35).replace('+', '%2B')}")
    ).json
    assert len(later["items"]) == 2
    bad = await api.call("GET", f"/rooms/{api.room}/visits?from=yesterday")
    assert (bad.status, bad.error) == (422, "invalid_time")


async def test_revoking_tells_the_waiting_guest_and_refuses_the_link_everywhere(
    api: Api, store_kind: str
) -> None:
    visit = await _schedule(api, email="kari@example.no")
    token = token_of(visit["invitation"]["link"])  # type: ignore[index]
    guest = await api.harness.guest(api.server, token)
    assert (await guest.call("join", JOIN_DETAILS))["ok"]
    doctor = await api.harness.clinician_client(api.server, "doctor")
    await doctor.wait_for("lobby", lambda p: len(p["visits"]) == 1)

    revoked = await api.call("POST", f"/visits/{visit['visit_id']}/revoke")
    assert revoked.status == 200
    assert (revoked.json["status"], revoked.json["state"]) == ("revoked", "ended")
    assert revoked.json["invitation"]["link"] is None and revoked.json["email"]["address"] is None
    told = await guest.wait_for("visit", lambda v: v["state"] == "ended")
    assert told["end_reason"] == "revoked"
    await doctor.wait_for("lobby", lambda p: p["visits"] == [] and p["expected"] == [])
    assert (await guest.call("join", JOIN_DETAILS))["error"] == "invalid_transition"

    http, body = await api.harness.open_link(api.server, token)
    await http.close()
    assert (body["_status"], body["error"]) == (410, "invitation_revoked")
    again = await api.call("POST", f"/visits/{visit['visit_id']}/revoke")
    assert again.status == 200 and again.json["revoked_at"] == revoked.json["revoked_at"]
    if store_kind == "redis":
        # Another instance whose appointment cache holds the visit still refuses the link.
        other = await api.harness.server()
        await api.harness.clinician_client(other, "doctor")
        http, body = await api.harness.open_link(other, token)
        await http.close()
        assert (body["_status"], body["error"]) == (410, "invitation_revoked")


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_a_revocation_on_one_instance_beats_the_other_instances_cache(api: Api) -> None:
    other = await api.harness.server()
    visit = await _schedule(api, start=soon(1))
    token = token_of(visit["invitation"]["link"])  # type: ignore[index]
    early = await api.harness.guest(
        other, await api.harness.invite(api.room)
    )  # warms other's cache
    assert early is not None
    await api.call("POST", f"/visits/{visit['visit_id']}/revoke")
    http, body = await api.harness.open_link(other, token)
    await http.close()
    assert (body["_status"], body["error"]) == (410, "invitation_revoked")


@memory
async def test_a_never_opened_revoked_link_is_refused(api: Api) -> None:
    visit = await _schedule(api)
    await api.call("POST", f"/visits/{visit['visit_id']}/revoke")
    http, body = await api.harness.open_link(
        api.server,
        token_of(str(await api.harness.directory.schedule.get(str(visit["visit_id"]))))
        if False
        else token_of(visit["invitation"]["link"]),  # type: ignore[index]
    )
    await http.close()
    assert (body["_status"], body["error"]) == (410, "invitation_revoked")


@memory
async def test_the_invitation_as_email_text_and_calendar(api: Api) -> None:
    visit = await _schedule(api, start=soon(60))
    visit_id = visit["visit_id"]
    for language, words in (("nb", "Innkalling"), ("en", "video consultation")):
        text = await api.call("GET", f"/visits/{visit_id}/email?language={language}")
        assert text.status == 200
        assert words in text.json["subject"]
        assert visit["invitation"]["link"] in text.json["text"]  # type: ignore[index]
        assert "Norsk" in text.json["text"] or "English" in text.json["text"], "both languages"
    ics = await api.call("GET", f"/visits/{visit_id}/invitation.ics")
    assert ics.status == 200 and ics.headers["Content-Type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(ics.text).walk("VEVENT")[0]
    start = event["DTSTART"].dt
    assert start == dt.datetime.fromisoformat(str(visit["start"]))
    assert start.tzinfo is not None and start.tzinfo.key == "Europe/Oslo"  # type: ignore[attr-defined]
    bad = await api.call("GET", f"/visits/{visit_id}/email?language=de")
    assert (bad.status, bad.error) == (400, "invalid_payload")


@memory
async def test_sending_without_smtp_is_a_clear_conflict_and_the_link_stands(api: Api) -> None:
    visit = await _schedule(api)
    answer = await api.call("POST", f"/visits/{visit['visit_id']}/email", body={"email": "k@e.no"})
    assert (answer.status, answer.error) == (409, "email_not_configured")
    kept = (await api.call("GET", f"/visits/{visit['visit_id']}")).json
    assert kept["invitation"]["link"] == visit["invitation"]["link"]  # type: ignore[index]
    created = await api.call(
        "POST",
        f"/rooms/{api.room}/visits",
        body={"start": soon(), "email": "k@e.no", "send_email": True},
    )
    assert created.status == 201, "the visit is made and its link returned even so"
    assert created.json["invitation"]["link"]
    assert created.json["email"]["delivery"]["status"] == "failed"
    assert created.json["email"]["delivery"]["error"] == "email_not_configured"


@memory
async def test_a_clinicians_session_reaches_only_their_own_rooms(api: Api) -> None:
    other_room = await api.harness.room(await api.harness.clinician("other"))
    http = await api.harness.login(api.server, "doctor")
    origin = {"Origin": api.server.base_url}
    url = f"{api.server.base_url}/api/v1"
    async with http.get(f"{url}/rooms") as response:
        assert [r["room_id"] for r in (await response.json())["items"]] == [api.room]
    async with http.post(
        f"{url}/rooms/{other_room}/visits", json={"start": soon()}, headers=origin
    ) as response:
        assert response.status == 404
    async with http.post(f"{url}/rooms/{api.room}/visits", json={"start": soon()}) as response:
        assert response.status == 403, "a cookie write without our Origin"
    async with http.post(
        f"{url}/rooms/{api.room}/visits",
        json={"start": soon()},
        headers={"Origin": "https://evil.example"},
    ) as response:
        assert response.status == 403
    async with http.post(
        f"{url}/rooms/{api.room}/visits", json={"start": soon()}, headers=origin
    ) as response:
        assert response.status == 201
        visit = await response.json()
    async with http.post(f"{url}/rooms", json={"name": "Mine"}, headers=origin) as response:
        assert (response.status, (await response.json())["error"]) == (403, "insufficient_scope")
    async with http.post(
        f"{url}/visits/{visit['visit_id']}/revoke", json={}, headers=origin
    ) as response:
        assert response.status == 200
    await http.close()


async def test_the_rooms_clinicians_see_a_new_appointment_at_once(
    api: Api, store_kind: str
) -> None:
    elsewhere = await api.harness.server() if store_kind == "redis" else api.server
    doctor = await api.harness.clinician_client(elsewhere, "doctor")
    await doctor.wait_for("lobby", lambda p: p["expected"] == [])
    mark = doctor.mark()
    visit = await _schedule(api, role="companion")
    expected = await doctor.wait_for("lobby", lambda p: p["expected"] != [], after=mark)
    assert [(e["visit_id"], e["role"]) for e in expected["expected"]] == [
        (visit["visit_id"], "companion")
    ]
    mark = doctor.mark()
    await api.call("POST", f"/visits/{visit['visit_id']}/revoke")
    await doctor.wait_for("lobby", lambda p: p["expected"] == [], after=mark)


@memory
async def test_unknown_or_revoked_visits_are_refused_on_every_route(api: Api) -> None:
    for method, path in [
        ("GET", "/visits/v_unknown"),
        ("POST", "/visits/v_unknown/revoke"),
        ("GET", "/visits/v_unknown/email"),
        ("POST", "/visits/v_unknown/email"),
        ("GET", "/visits/v_unknown/invitation.ics"),
        ("GET", "/visits/not-an-id"),
        ("GET", "/rooms/r_unknown/visits"),
        ("POST", "/rooms/r_unknown/visits"),
    ]:
        body = {} if method == "POST" and "email" in path else None
        if path == "/rooms/r_unknown/visits" and method == "POST":
            body = {"start": soon()}
        answer = await api.call(method, path, body=body)
        assert (answer.status, answer.error) == (404, "not_found"), (method, path)
    visit = await _schedule(api, email="kari@example.no")
    await api.call("POST", f"/visits/{visit['visit_id']}/revoke")
    for method, path in [
        ("GET", f"/visits/{visit['visit_id']}/email"),
        ("POST", f"/visits/{visit['visit_id']}/email"),
        ("GET", f"/visits/{visit['visit_id']}/invitation.ics"),
    ]:
        answer = await api.call(method, path, body={} if method == "POST" else None)
        assert (answer.status, answer.error) == (409, "revoked"), path

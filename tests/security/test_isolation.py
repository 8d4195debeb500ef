"""Two rooms, each with a full consultation at the same time: nobody learns of the other room.

In each room a clinician and three guests (patient, companion, interpreter) go through a
whole visit: open the link, join, a notice, admission, the call with offers, answers and
candidates, technical messages, pause and resume, send back and admit again, end. Both rooms
run at once, on one server, or (Redis) on two server instances sharing one Redis with each
room's people spread over both. Afterwards every event every client received is checked: no
other room's ids, names, counts, SDP or messages; a waiting guest's events hold their own
visit and notices only, a guest in the call learns of their own call only, and a clinician's
lobby and call are their own room's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import pytest

from lobby.domain.model import Role
from lobby.domain.passwords import hash_password
from tests.fixtures.servers import PASSWORD, Client, Harness, Running

GUEST_EVENTS = frozenset({"visit", "notice", "roster", "signal", "tech_message"})
CALL_EVENTS = frozenset({"roster", "signal", "tech_message"})
CLINICIAN_EVENTS = frozenset({"rooms", "lobby", "roster", "signal", "tech_message"})
IN_CALL = frozenset({"in_call", "paused"})
PASSWORD_HASH = hash_password(PASSWORD)


@dataclass(frozen=True)
class Cast:
    """Who is in one room: everything here is the room's own, never seen by the other."""

    room_name: str
    clinician: str
    clinician_name: str
    guests: tuple[tuple[str, Role, str], ...]
    """(name, role, person present with them)"""
    network: str
    """The address prefix of this room's ICE candidates (in their SDP and candidates)."""


CASTS = (
    Cast(
        "Rom Alfa",
        "alfa",
        "Dr Astrid Alfsen",
        (
            ("Anne Alfheim", Role.PATIENT, "Ola Alfheim"),
            ("Arne Alfheim", Role.COMPANION, "Siri Alfheim"),
            ("Aisha Alfatolk", Role.INTERPRETER, "Nora Alfheim"),
        ),
        "192.0.2.",
    ),
    Cast(
        "Rom Beta",
        "beta",
        "Dr Bernt Bratli",
        (
            ("Berit Bakkeli", Role.PATIENT, "Per Bakkeli"),
            ("Bjorn Bakkeli", Role.COMPANION, "Liv Bakkeli"),
            ("Bashir Betatolk", Role.INTERPRETER, "Tone Bakkeli"),
        ),
        "198.51.100.",
    ),
)


def sdp(cast: Cast, kind: str) -> str:
    """A minimal valid description (DTLS fingerprint, one candidate), marked with its room."""
    host = f"{cast.network}10"
    return "\r\n".join(
        [
            "v=0",
            f"o=- 4611 2 IN IP4 {host}",
            f"s={cast.room_name} {kind}",
            "t=0 0",
            "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            f"c=IN IP4 {host}",
            "a=mid:0",
            "a=rtpmap:111 opus/48000/2",
            f"a=candidate:1 1 udp 2130706431 {host} 50000 typ host",
            "",
        ]
    )


def candidate(cast: Cast) -> dict[str, Any]:
    line = f"candidate:2 1 udp 1694498815 {cast.network}10 50001 typ srflx"
    return {"candidate": line, "sdpMid": "0"}


@dataclass
class Person:
    client: Client
    peer_id: str
    name: str = ""


@dataclass
class Room:
    """One room's consultation as it runs: its clinician, guests and what must stay inside."""

    cast: Cast
    room_id: str = ""
    doctor: Person | None = None
    guests: list[Person] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    """Each guest's visit state, as the last step left it."""
    doctor_in_call: bool = False

    @property
    def people(self) -> list[Person]:
        assert self.doctor is not None
        return [self.doctor, *self.guests]

    def secrets(self) -> list[str]:
        """What identifies this room: none of it may reach the other room's people."""
        cast = self.cast
        return [
            self.room_id,
            cast.room_name,
            cast.clinician_name,
            cast.network,
            *(person.peer_id for person in self.people),
            *(name for name, _, _ in cast.guests),
            *(present for _, _, present in cast.guests),
        ]

    def payload(self, person: Person, body: dict[str, Any]) -> dict[str, Any]:
        """A clinician's call messages name the room; a guest's do not."""
        assert self.doctor is not None
        return {**body, "room_id": self.room_id} if person is self.doctor else body

    def roster(self) -> dict[str, str]:
        """Who is in the call now, and in which state."""
        assert self.doctor is not None
        call = {vid: state for vid, state in self.states.items() if state in IN_CALL}
        return {self.doctor.peer_id: "in_call", **call} if self.doctor_in_call else call

    async def step(self, action: Awaitable[Any], changes: dict[str, str]) -> None:
        """Do `action`, then wait until the lobby and everyone's roster show `changes`.

        Each server instance sends a room's update with the room as its own last change
        read it, so a quicker next step on another instance could be overtaken by an older
        update: see `test_a_guest_sent_back_gets_no_older_roster`."""
        assert self.doctor is not None
        before = self.roster()
        marks = {person.peer_id: person.client.mark() for person in self.people}
        ack = await action
        assert ack is None or ack["ok"], ack
        self.states.update(changes)
        live = {vid: state for vid, state in self.states.items() if state != "ended"}
        await self.doctor.client.wait_for(
            "lobby", lambda p: lobby_states(p) == live, after=marks[self.doctor.peer_id]
        )
        roster = self.roster()
        if roster != before and roster:
            for person in self.people:
                if person.peer_id in roster:
                    await person.client.wait_for(
                        "roster", lambda r: roster_states(r) == roster, after=marks[person.peer_id]
                    )


def lobby_states(lobby: dict[str, Any]) -> dict[str, str]:
    return {visit["visit_id"]: visit["state"] for visit in lobby["visits"]}


def roster_states(roster: dict[str, Any]) -> dict[str, str]:
    return {member["peer_id"]: member["state"] for member in roster["members"]}


async def prepare(harness: Harness, cast: Cast) -> tuple[Room, str]:
    directory = await harness.ready()
    added = await directory.accounts.add(cast.clinician, PASSWORD_HASH, cast.clinician_name)
    room = await harness.room(added.account_id, name=cast.room_name)
    return Room(cast, room), added.account_id


async def consultation(
    harness: Harness, room: Room, account: str, servers: list[Running], shift: int
) -> None:
    """The whole visit in one room; people spread over `servers` (starting at `shift`)."""
    cast = room.cast

    def server(n: int) -> Running:
        return servers[(n + shift) % len(servers)]

    doctor = await harness.clinician_client(server(0), cast.clinician)
    room.doctor = Person(doctor, account, cast.clinician_name)
    assert (await doctor.wait_for("rooms")) == [{"room_id": room.room_id, "name": cast.room_name}]
    # Open the link and join the waiting room.
    for n, (name, role, present) in enumerate(cast.guests, start=1):
        client = await harness.guest(server(n), await harness.invite(room.room_id, role))
        visit_id = (await client.wait_for("visit"))["visit_id"]
        room.guests.append(Person(client, visit_id, name))
        details = {"display_name": name, "consent": True, "present": [present]}
        await room.step(client.call("join", details), {visit_id: "waiting"})
    # A notice to everyone waiting.
    late = {"room_id": room.room_id, "code": "running_late", "minutes": 10}
    assert (await doctor.call("notice", late))["ok"]
    for guest in room.guests:
        await guest.client.wait_for("notice", lambda n: n["code"] == "running_late")
    # Admission: the patient first, then the others together; everyone joins the call.
    patient, companion, interpreter = room.guests
    await room.step(act(doctor, "admit", patient), {patient.peer_id: "in_call"})
    await room.step(
        doctor.call("admit_all", {"room_id": room.room_id}),
        {companion.peer_id: "in_call", interpreter.peer_id: "in_call"},
    )
    room.doctor_in_call = True
    await room.step(doctor.call("call_join", {"room_id": room.room_id}), {})
    for guest in room.guests:
        assert (await guest.client.call("call_join"))["ok"]
    await negotiate(room)
    # Technical messages, from a guest and from the clinician.
    for sender, code in ((interpreter, "cant_hear_you"), (room.doctor, "one_moment")):
        ack = await sender.client.call("tech_message", room.payload(sender, {"code": code}))
        assert ack["ok"], ack
        for person in room.people:
            if person is not sender:
                heard = {"from": sender.peer_id, "code": code}
                await person.client.wait_for("tech_message", heard.__eq__)
    # Pause and resume: by the clinician, and at the patient's request.
    await room.step(act(doctor, "pause", interpreter), {interpreter.peer_id: "paused"})
    await room.step(act(doctor, "resume", interpreter), {interpreter.peer_id: "in_call"})
    await room.step(patient.client.call("request_pause"), {patient.peer_id: "paused"})
    await room.step(act(doctor, "resume", patient), {patient.peer_id: "in_call"})
    # Sent back to the waiting room: a notice reaches the companion only; then in again.
    await room.step(act(doctor, "send_back", companion), {companion.peer_id: "waiting"})
    assert (await doctor.call("notice", {"room_id": room.room_id, "code": "ready_soon"}))["ok"]
    await companion.client.wait_for("notice", lambda n: n["code"] == "ready_soon")
    await room.step(act(doctor, "admit", companion), {companion.peer_id: "in_call"})
    assert (await companion.client.call("call_join"))["ok"]
    # The end.
    for guest in room.guests:
        await room.step(act(doctor, "end", guest), {guest.peer_id: "ended"})
    room.doctor_in_call = False
    assert (await doctor.call("call_leave", {"room_id": room.room_id}))["ok"]


def act(doctor: Client, action: str, guest: Person) -> Awaitable[dict[str, Any]]:
    return doctor.call(action, {"visit_id": guest.peer_id})


async def negotiate(room: Room) -> None:
    """Every pair: the lower id offers, the other answers; a candidate each way and the end
    of candidates, as a browser trickles them."""
    cast = room.cast
    for first, second in combinations(sorted(room.people, key=lambda p: p.peer_id), 2):
        for sender, receiver, kind in ((first, second, "offer"), (second, first, "answer")):
            description = {"type": kind, "sdp": sdp(cast, kind)}
            for body in (
                {"description": description},
                {"candidate": candidate(cast)},
                {"candidate": {"candidate": "", "sdpMid": "0"}},
            ):
                message = room.payload(sender, {"to": receiver.peer_id, **body})
                ack = await sender.client.call("signal", message)
                assert ack["ok"], ack
                await receiver.client.wait_for("signal", relayed(sender.peer_id, body))


def relayed(sender: str, body: dict[str, Any]) -> Callable[[Any], bool]:
    """Whether a signal is `body` from `sender`, as relayed (a candidate gains the fields
    the sender left out, as null)."""
    expected = {"from": sender, **body}
    if "candidate" in body:
        expected["candidate"] = {"sdpMid": None, "sdpMLineIndex": None, **body["candidate"]}
    return expected.__eq__


def members(roster: dict[str, Any]) -> set[str]:
    return {member["peer_id"] for member in roster["members"]}


def leaks(room: Room, other: Room) -> list[str]:
    """Events of `room`'s people that name anything of `other`."""
    secrets = other.secrets()
    found = []
    for person in room.people:
        for event, data in person.client.events:
            text = json.dumps(data, ensure_ascii=False)
            found += [f"{person.name} got {event} naming {s!r}" for s in secrets if s in text]
    return found


def guest_problems(room: Room, guest: Person) -> list[str]:
    """What a guest heard that they should not have: anything but their own visit and
    notices while not in the call; in it, anything but their own call."""
    ours = {person.peer_id for person in room.people}
    state, problems = "checking", []
    for event, data in guest.client.events:
        if event not in GUEST_EVENTS:
            problems.append(f"an event {event!r}")
        elif event == "visit":
            state = data["state"]
            if data["visit_id"] != guest.peer_id:
                problems.append(f"another guest's visit {data}")
        elif event in CALL_EVENTS and state not in IN_CALL:
            problems.append(f"{event} while {state}: {data}")
        elif event == "notice" and state != "waiting":
            problems.append(f"a notice while {state}: {data}")
        elif event == "roster" and (data["room_id"] != room.room_id or not members(data) <= ours):
            problems.append(f"a roster of another call: {data}")
        elif event in {"signal", "tech_message"} and data["from"] not in ours:
            problems.append(f"{event} from outside the call: {data}")
    return [f"{guest.name}: {problem}" for problem in problems]


def clinician_problems(room: Room) -> list[str]:
    assert room.doctor is not None
    ours = {person.peer_id for person in room.people}
    problems = []
    for event, data in room.doctor.client.events:
        if event not in CLINICIAN_EVENTS:
            problems.append(f"an event {event!r}")
        elif event == "rooms" and [r["room_id"] for r in data] != [room.room_id]:
            problems.append(f"rooms {data}")
        elif event in {"lobby", "roster"} and data["room_id"] != room.room_id:
            problems.append(f"{event} of another room: {data}")
        elif (
            event == "lobby"
            and not {v["visit_id"] for v in data["visits"] + data["expected"]} <= ours
        ):
            problems.append(f"a lobby with other visits: {data}")
        elif event == "roster" and not members(data) <= ours:
            problems.append(f"a roster with strangers: {data}")
        elif event in {"signal", "tech_message"} and data["from"] not in ours:
            problems.append(f"{event} from outside the call: {data}")
    return [f"{room.cast.clinician_name}: {problem}" for problem in problems]


async def test_two_consultations_at_once_never_meet(harness: Harness) -> None:
    servers = [await harness.server()]
    if harness.redis_url:
        servers.append(await harness.server())
    prepared = [await prepare(harness, cast) for cast in CASTS]
    rooms = [room for room, _ in prepared]
    async with asyncio.timeout(60):
        await asyncio.gather(
            *(
                consultation(harness, room, account, servers, shift)
                for shift, (room, account) in enumerate(prepared)
            )
        )
    await asyncio.sleep(0.2)  # the last lobby updates (batched) arrive too
    problems = leaks(rooms[0], rooms[1]) + leaks(rooms[1], rooms[0])
    for room in rooms:
        problems += clinician_problems(room)
        for guest in room.guests:
            problems += guest_problems(room, guest)
            assert guest.client.received("visit")[-1]["end_reason"] == "completed"
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_a_guest_sent_back_gets_no_older_roster(harness: Harness) -> None:
    """An instance must not send a room as it last saw it when another has changed it
    since (lobby/interfaces/realtime/broadcast.py checks the room's sequence before a flush)."""
    slow = {"lobby_batch_delay": 0.5}  # the send back lands while an update waits to go out
    first, second = await harness.server(**slow), await harness.server(**slow)
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(first, "doctor")
    assert (await doctor.call("call_join", {"room_id": room}))["ok"]
    staying, _ = await harness.admitted_guest(second, room, doctor, "Stein", join_call=True)
    leaving, leaving_id = await harness.admitted_guest(
        first, room, doctor, "Lise", Role.COMPANION, join_call=True
    )
    await asyncio.sleep(0.8)  # the admissions' updates are out
    assert (await staying.call("request_pause"))["ok"]  # the second instance: Lise in the call
    mark = leaving.mark()
    assert (await doctor.call("send_back", {"visit_id": leaving_id}))["ok"]  # the first
    await leaving.wait_for("visit", lambda v: v["state"] == "waiting", after=mark)
    await asyncio.sleep(1.0)  # both instances' updates are out
    sent_back = max(
        i for i, (e, d) in enumerate(leaving.events) if e == "visit" and d["state"] == "waiting"
    )
    told = [event for event, _ in leaving.events[sent_back:] if event in CALL_EVENTS]
    assert told == [], "a guest in the waiting room was told who is in the call"

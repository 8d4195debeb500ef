// The clinician's rooms: each one's section (status, notice form, lobby, call, expected guests,
// scheduling), and the lobby feed that updates it. Owns the list of rooms.

import { byId, el } from "/common/dom.js";
import { linkSocket, send } from "/clinician/link.js";
import { confirmDialog } from "/clinician/dialog.js";
import { buildNoticeForm, renderNoticeForm } from "/clinician/notices.js";
import { buildLobby, noteArrivals, renderLobby } from "/clinician/lobby.js";
import { buildExpected, renderExpected, setExpected, tickExpected } from "/clinician/expected.js";
import { buildCallArea, renderCallArea } from "/clinician/call-area.js";
import { renderParticipants } from "/clinician/participants.js";
import { noteDepartures } from "/clinician/departures.js";
import { endConsultation } from "/clinician/actions.js";
import { followCall, renderRoomCall, sendTech, toggleCamera, toggleMic } from "/clinician/consultation.js";
import { scheduleArea } from "/clinician/schedule.js";

const CALL_STATES = new Set(["in_call", "paused"]);
const rooms = new Map();

export function allRooms() {
  return rooms.values();
}

export function getRoom(id) {
  return rooms.get(id);
}

export function roomCount() {
  return rooms.size;
}

export function clearRooms() {
  rooms.clear();
}

/** Add a room's section to the dashboard. */
export function addRoom(info) {
  const n = rooms.size + 1;
  const room = { id: info.room_id, n, info, visits: [], inCall: new Map() };
  const title = el("h2", { text: info.name, attrs: { id: `room-${n}-title` } });
  room.status = el("p", { className: "room-status", attrs: { role: "status" } });
  room.notice = buildNoticeForm(room);
  room.lobby = buildLobby(room);
  room.expected = buildExpected(n);
  room.call = buildCallArea(n, {
    toggleMic: () => toggleMic(room),
    toggleCamera: () => toggleCamera(room),
    end: () => endConsultation(room),
    sendTech: () => sendTech(room),
  });
  room.section = el("section", { className: "room card", attrs: { "aria-labelledby": title.id }, children: [
    title, room.status,
    el("div", { className: "room-tools", children: [room.notice.form, room.lobby.admitAll] }),
    room.lobby.title, room.lobby.list, room.lobby.empty, room.call.ended, room.call.area, room.expected.area,
    scheduleArea(info, { confirm: confirmDialog, changed: () => refreshLobby(room) }),
  ] });
  rooms.set(room.id, room);
  byId("rooms").append(room.section);
  renderRoom(room);
}

/** Render what is built from texts rather than keyed (after a language switch, too). */
export function renderRoom(room) {
  renderNoticeForm(room.notice);
  renderCallArea(room.call);
  renderRoomCall(room);
  renderVisits(room);
}

function renderVisits(room) {
  renderLobby(room, room.visits.filter((visit) => visit.state === "waiting"));
  renderParticipants(room, room.visits.filter((visit) => CALL_STATES.has(visit.state)));
  renderExpected(room.expected);
}

/** A lobby update from the server: who waits, who is in the call, who is expected. */
export function updateLobby(room, visits, expected = []) {
  noteArrivals(room, visits.filter((visit) => visit.state === "waiting"));
  const inCall = new Map(visits.filter((visit) => CALL_STATES.has(visit.state)).map((visit) => [visit.visit_id, visit]));
  noteDepartures(room, inCall, room.lobby.waitingIds);
  room.inCall = inCall;
  room.visits = visits;
  setExpected(room.expected, expected);
  renderVisits(room);
  followCall(room, allRooms);
}

/** The room's appointments changed here (scheduled, revoked): read its lobby afresh. */
async function refreshLobby(room) {
  if (!linkSocket()) return;
  const ack = await send("lobby", { room_id: room.id });
  const lobby = ack.ok && ack.lobby;
  if (lobby && Array.isArray(lobby.visits)) updateLobby(room, lobby.visits, Array.isArray(lobby.expected) ? lobby.expected : []);
}

/** Each second: expected guests whose appointment time has just passed. */
export function tickRoom(room) {
  tickExpected(room.expected);
}

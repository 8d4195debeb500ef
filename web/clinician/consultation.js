// The clinician's call: one at a time, in the first room where someone is in the call. Owns
// the call, its stream, mute and camera; a room's call area (call-area.js) shows it.

import { setText, t } from "/common/i18n.js";
import { announce, clear, errorText } from "/common/dom.js";
import { Call } from "/common/call.js";
import { clearTiles, renderTiles } from "/common/tiles.js";
import * as media from "/common/media.js";
import { linkSocket } from "/clinician/link.js";
import { addTechLine, renderControls } from "/clinician/call-area.js";
import { report } from "/clinician/ui.js";

let call = null;
let callRoom = null;
let callStarting = null;
let stream = null;
let muted = false;
let cameraOff = false;
const tiles = new Map();

/**
 * After a lobby update: start the call if this room has someone in it and no call runs, or
 * finish it when its last guest left. `rooms()` lists every room, to find the next call.
 */
export function followCall(room, rooms) {
  if (room.inCall.size && !call && !callStarting) startCall(room, rooms);
  else if (!room.inCall.size && callRoom === room) finishCall(room, rooms);
  if (callRoom === room) renderCall();
}

/** Move focus to the room's call after an admission: now if it runs, else when it starts. */
export function focusCallSoon(room) {
  if (callRoom === room && call) room.call.title.focus();
  else focusCallLater(room);
}

export function focusCallLater(room) {
  room.call.pendingFocus = "call";
}

/** Re-render the room's controls and, if the call is there, the call (after a language switch). */
export function renderRoomCall(room) {
  renderControls(room.call, { muted, cameraOff });
  if (call && callRoom === room) renderCall();
}

export function toggleMic(room) {
  muted = !muted;
  if (call) call.setMuted(muted);
  renderControls(room.call, { muted, cameraOff });
  announce(t(muted ? "call.muted" : "call.unmuted"));
}

export function toggleCamera(room) {
  cameraOff = !cameraOff;
  if (call) call.setCameraOff(cameraOff);
  renderControls(room.call, { muted, cameraOff });
  announce(t(cameraOff ? "call.camera_is_off" : "call.camera_is_on"));
}

export async function sendTech(room) {
  if (!call) return;
  const code = room.call.techCode.value;
  const ack = await call.sendTech(code);
  addTechLine(room.call, ack.ok ? t("call.tech_sent", { message: t(`tech.${code}`) }) : errorText(ack.error));
}

async function startCall(room, rooms) {
  const part = room.call;
  callRoom = room;
  part.area.hidden = false;
  part.ended.hidden = true;
  part.lastDeparture = "";
  setText(part.status, "call.connecting");
  callStarting = joinCall(room);
  try {
    await callStarting;
  } finally {
    callStarting = null;
  }
  if (!room.inCall.size) finishCall(room, rooms);
  else {
    renderCall();
    if (part.pendingFocus === "call") part.title.focus();
    part.pendingFocus = null;
  }
}

async function joinCall(room) {
  const part = room.call;
  const opened = await media.openMedia();
  if (opened.error) addTechLine(part, t(`check.error.${opened.error}`));
  stream = opened.stream || new MediaStream();
  await media.play(part.selfVideo, stream);
  const started = new Call({ socket: linkSocket(), localStream: stream, roomId: room.id });
  started.setMuted(muted);
  started.setCameraOff(cameraOff);
  started.addEventListener("change", renderCall);
  started.addEventListener("tech", ({ detail }) => {
    const line = t("call.tech_received", { name: detail.member ? detail.member.name : t("call.someone"), message: t(`tech.${detail.code}`) });
    addTechLine(part, line);
    announce(line);
  });
  started.addEventListener("error", ({ detail }) => report(room, "clin.call_failed", { error: errorText(detail.error) }));
  call = started;
  await started.join();
}

/** Hang up: leave the call, stop camera and microphone, hide the call area. */
export async function stopCall() {
  const current = call;
  call = null;
  if (current) await current.leave();
  media.stopMedia(stream);
  stream = null;
  if (callRoom) {
    clearTiles(callRoom.call.grid, tiles);
    callRoom.call.selfVideo.srcObject = null;
    callRoom.call.area.hidden = true;
  }
  callRoom = null;
}

async function finishCall(room, rooms) {
  await stopCall();
  const part = room.call;
  clear(part.techLog);
  part.ended.hidden = false;
  part.ended.textContent = [t("clin.call_ended"), part.lastDeparture || ""].join(" ").trim();
  // Another room may have someone in a call waiting for us.
  for (const other of rooms()) {
    if (other !== room && other.inCall.size && !call) {
      startCall(other, rooms);
      break;
    }
  }
}

function renderCall() {
  const room = callRoom;
  if (!room || !call) return;
  const { count, connected } = renderTiles(room.call.grid, call, tiles, () => {
    room.call.enableSound.hidden = false;
  });
  const key = !count ? "clin.call_waiting" : connected ? "call.connected" : "call.connecting";
  if (room.call.status.dataset.i18n !== key) setText(room.call.status, key);
}

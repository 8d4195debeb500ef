// Step 4, the consultation and its paused screen: the guest's side of the call (common/call.js),
// mute and camera, the roster, and "someone came into my room". Owns the call and its stream.

import { onLanguageChange, setText, t } from "/common/i18n.js";
import { announce, byId, clear, el, errorText } from "/common/dom.js";
import { request } from "/common/socket.js";
import { Call } from "/common/call.js";
import { clearTiles, memberLabel, renderTiles, unmuteTiles } from "/common/tiles.js";
import * as media from "/common/media.js";
import { go } from "/guest/screens.js";
import { clearTechLog, techReceived, wireTech } from "/guest/tech.js";

const CALL_STATES = new Set(["in_call", "paused"]);

let shared = null;
let call = null;
let callStarting = null;
let stream = null;
let muted = false;
let cameraOff = false;
let pendingSignals = [];
const tiles = new Map();

/** Wire the call screen's controls; `context` gives the socket and the current visit. */
export function wireCall(context) {
  shared = context;
  byId("toggle-mic").addEventListener("click", toggleMic);
  byId("toggle-camera").addEventListener("click", toggleCamera);
  byId("request-pause").addEventListener("click", requestPause);
  byId("leave-call").addEventListener("click", () => byId("leave-dialog").showModal());
  byId("leave-paused").addEventListener("click", () => byId("leave-dialog").showModal());
  byId("enable-sound").addEventListener("click", () => {
    unmuteTiles(byId("remote-videos"));
    byId("enable-sound").hidden = true;
  });
  wireTech(() => call);
  onLanguageChange(() => {
    if (call) renderCall();
  });
}

/** Signaling can arrive as soon as we are let in, before the call has started listening. */
export function bufferSignal(message) {
  if (!call || !call.active) pendingSignals.push(message);
}

function toggleMic() {
  muted = !muted;
  if (call) call.setMuted(muted);
  renderControls();
  announce(t(muted ? "call.muted" : "call.unmuted"));
}

function toggleCamera() {
  cameraOff = !cameraOff;
  if (call) call.setCameraOff(cameraOff);
  renderControls();
  announce(t(cameraOff ? "call.camera_is_off" : "call.camera_is_on"));
}

async function requestPause() {
  const ack = await request(shared.socket, "request_pause");
  if (ack.ok) shared.visitChanged(ack.visit);
  else announce(errorText(ack.error));
}

function renderControls() {
  setText(byId("toggle-mic"), muted ? "call.unmute" : "call.mute");
  setText(byId("toggle-camera"), cameraOff ? "call.camera_on" : "call.camera_off");
}

async function ensureCall() {
  if (call) return call;
  if (callStarting) return callStarting;
  callStarting = startCall();
  try {
    return await callStarting;
  } finally {
    callStarting = null;
  }
}

async function startCall() {
  if (!stream) {
    const opened = await media.openMedia();
    stream = opened.stream || new MediaStream();
    if (opened.error) setText(byId("call-status"), `check.error.${opened.error}`);
  }
  const started = new Call({ socket: shared.socket, localStream: stream });
  started.addEventListener("change", renderCall);
  started.addEventListener("tech", ({ detail }) => techReceived(detail));
  started.addEventListener("error", () => setText(byId("call-status"), "call.join_failed"));
  started.setMuted(muted);
  started.setCameraOff(cameraOff);
  call = started;
  media.play(byId("self-video"), stream);
  const joined = started.join();
  for (const message of pendingSignals.splice(0)) started.receive(message);
  await joined;
  return started;
}

export async function enterCall() {
  go("call");
  renderControls();
  const current = await ensureCall();
  dropCallIfOver();
  if (shared.visit.state === "in_call") {
    current.setPaused(false);
    current.setMuted(muted);
    current.setCameraOff(cameraOff);
  }
  renderCall();
}

export async function enterPaused() {
  go("paused");
  const current = await ensureCall();
  dropCallIfOver();
  if (shared.visit.state === "paused") {
    current.setPaused(true);
    current.setMuted(true);
    current.setCameraOff(true);
  }
}

/** Leave the call if there is one: close the peers, clear the screen, stop camera and microphone. */
export function leaveCall() {
  pendingSignals = [];
  if (!call) return;
  call.leave();
  call = null;
  clearTiles(byId("remote-videos"), tiles);
  byId("self-video").srcObject = null;
  clearTechLog();
  byId("enable-sound").hidden = true;
  media.stopMedia(stream);
  stream = null;
}

/** A call that finished starting after the visit left the call is closed at once. */
function dropCallIfOver() {
  if (!CALL_STATES.has(shared.visit.state)) leaveCall();
}

function renderCall() {
  if (!call) return;
  const { count, connected } = renderTiles(byId("remote-videos"), call, tiles, () => {
    byId("enable-sound").hidden = false;
  });
  const status = byId("call-status");
  const key = !count ? "call.waiting_for_others" : connected ? "call.connected" : "call.connecting";
  if (status.dataset.i18n !== key) {
    setText(status, key);
    if (key === "call.connected") announce(status.textContent);
  }
  renderRoster();
}

function renderRoster() {
  const roster = byId("roster");
  clear(roster);
  for (const member of call.members) {
    const me = member.peer_id === call.peerId;
    const text = me ? t("call.member_you", { role: t(`role.${member.role}`) }) : memberLabel(member);
    const stateKey = member.reconnecting ? "call.state_reconnecting" : member.state === "paused" ? "call.state_paused" : null;
    roster.append(el("li", { text: stateKey ? `${text} – ${t(stateKey)}` : text }));
  }
}

// The clinician's dashboard at /clinician: log in, see each room's lobby live, admit or deny,
// send notices, and run the call (pause, resume, send back, move to phone, end).

import { initI18n, onLanguageChange, setText, t, formatClock, formatDuration, locale } from "/common/i18n.js";
import { announce, byId, clear, el, errorText, showScreen } from "/common/dom.js";
import { api } from "/common/api.js";
import { connectWithBanner, request } from "/common/socket.js";
import { Call } from "/common/call.js";
import { clearTiles, renderTiles, unmuteTiles } from "/common/tiles.js";
import * as media from "/common/media.js";
import { scheduleArea } from "/clinician/schedule.js";

const TECH_CODES = ["cant_hear_you", "cant_see_you", "video_frozen", "audio_choppy", "will_call_by_phone", "one_moment", "reconnecting"];
const DENY_REASONS = ["wrong_room", "not_expected", "reschedule", "contact_clinic"];
const NOTICE_CODES = ["running_late", "ready_soon", "technical_delay", "clear"];
const CALL_STATES = new Set(["in_call", "paused"]);

const state = {
  me: null,
  socket: null,
  rooms: new Map(),
  order: [],
  call: null,
  callRoom: null,
  callStarting: null,
  stream: null,
  muted: false,
  cameraOff: false,
  tiles: new Map(),
  expectedEnds: new Set(),
  ticker: null,
};

// --- start, log in, log out --------------------------------------------------------------

async function boot() {
  await initI18n();
  onLanguageChange(() => {
    for (const room of state.rooms.values()) renderRoom(room);
  });
  byId("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    logIn();
  });
  byId("logout").addEventListener("click", logOut);
  byId("enable-notifications").addEventListener("click", async () => {
    try {
      await Notification.requestPermission();
    } finally {
      updateNotificationOffer();
    }
  });
  // Browsers start sound only after a click or key press: the first one enables the chime.
  for (const event of ["pointerdown", "keydown"]) document.addEventListener(event, () => media.audio(), { once: true });
  byId("confirm-no").addEventListener("click", () => byId("confirm-dialog").close("no"));
  byId("confirm-yes").addEventListener("click", () => byId("confirm-dialog").close("yes"));
  const me = await api("GET", "/api/me");
  if (me.ok) startDashboard(me.data);
  else showLogin();
}

function showLogin() {
  byId("logout").hidden = true;
  byId("ops-link").hidden = true;
  byId("clinician-name").textContent = "";
  showScreen("login");
}

async function logIn() {
  const username = byId("username");
  const password = byId("password");
  const problem = byId("login-error");
  problem.hidden = true;
  if (!username.value.trim() || !password.value) {
    setText(problem, "clin.login_missing");
    problem.hidden = false;
    (username.value.trim() ? password : username).focus();
    return;
  }
  media.audio(); // made on this click, so arrival chimes can play later
  const button = byId("login-button");
  button.disabled = true;
  const answer = await api("POST", "/api/login", { username: username.value.trim(), password: password.value });
  button.disabled = false;
  if (!answer.ok) {
    setText(problem, answer.status === 401 ? "clin.login_wrong" : answer.status === 429 ? "error.rate_limited" : "error.generic");
    problem.hidden = false;
    password.value = "";
    password.focus();
    return;
  }
  password.value = "";
  // The account's role decides the page; read it from /api/me if the answer lacks it.
  const me = answer.data && answer.data.account ? answer : await api("GET", "/api/me");
  startDashboard(me.ok ? me.data : answer.data);
}

async function logOut() {
  await stopCall();
  if (state.socket) state.socket.disconnect();
  state.socket = null;
  clearInterval(state.ticker);
  await api("POST", "/api/logout");
  state.rooms.clear();
  clear(byId("rooms"));
  showLogin();
}

function startDashboard(me) {
  // An operations account sees figures only, on /ops; it never opens the clinician socket.
  if (me && me.account && me.account.role === "ops") {
    location.assign("/ops");
    return;
  }
  state.me = me;
  byId("clinician-name").textContent = me.clinician ? me.clinician.name : "";
  byId("logout").hidden = false;
  byId("ops-link").hidden = false;
  clear(byId("rooms"));
  state.rooms.clear();
  for (const room of me.rooms || []) addRoom(room);
  byId("no-rooms").hidden = state.rooms.size > 0;
  updateNotificationOffer();
  showScreen("dashboard");
  openSocket();
  clearInterval(state.ticker);
  state.ticker = setInterval(tick, 1000);
}

function updateNotificationOffer() {
  byId("alerts-permission").hidden = !("Notification" in window) || Notification.permission !== "default";
}

function openSocket() {
  const socket = connectWithBanner("/clinician", byId("connection-banner"), () => {
    stopCall();
    showLogin();
  });
  state.socket = socket;
  socket.on("rooms", (rooms) => {
    for (const room of rooms || []) if (!state.rooms.has(room.room_id)) addRoom(room);
    byId("no-rooms").hidden = state.rooms.size > 0;
  });
  socket.on("lobby", (lobby) => {
    const room = lobby && state.rooms.get(lobby.room_id);
    if (room) updateLobby(room, Array.isArray(lobby.visits) ? lobby.visits : [], Array.isArray(lobby.expected) ? lobby.expected : []);
  });
}

// --- rooms ---------------------------------------------------------------------------------

function field(labelKey, control, className = "field") {
  const label = el("label", { attrs: { for: control.id } });
  setText(label, labelKey);
  return el("div", { className, children: [label, control] });
}

function button(key, className, onClick) {
  const element = el("button", { className, attrs: { type: "button" } });
  setText(element, key);
  element.addEventListener("click", onClick);
  return element;
}

function addRoom(info) {
  const n = state.rooms.size + 1;
  const room = {
    id: info.room_id, n, info, visits: [], first: true, waitingIds: new Set(), inCall: new Map(),
    entries: new Map(), participants: new Map(), expected: [], expectedNodes: new Map(),
  };
  const title = el("h2", { text: info.name, attrs: { id: `room-${n}-title` } });
  room.status = el("p", { className: "room-status", attrs: { role: "status" } });

  room.noticeCode = el("select", { attrs: { id: `notice-code-${n}` } });
  room.minutes = el("input", { attrs: { id: `notice-minutes-${n}`, type: "number", min: "5", max: "120", step: "5", value: "10", inputmode: "numeric" } });
  room.minutesField = field("clin.notice_minutes", room.minutes, "field minutes");
  room.noticeCode.addEventListener("change", () => {
    room.minutesField.hidden = room.noticeCode.value !== "running_late";
  });
  const noticeForm = el("form", { className: "notice-form", children: [
    field("clin.notice_label", room.noticeCode), room.minutesField,
    el("button", { attrs: { type: "submit" } }),
  ] });
  setText(noticeForm.querySelector("button"), "clin.send_notice");
  noticeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendNotice(room);
  });
  room.admitAll = button("clin.admit_all", "", () => admitAll(room));

  room.waitingTitle = el("h3", { attrs: { id: `room-${n}-waiting`, tabindex: "-1" } });
  room.lobby = el("ul", { className: "lobby", attrs: { "aria-labelledby": `room-${n}-waiting` } });
  room.empty = el("p", { className: "empty" });
  setText(room.empty, "clin.nobody_waiting");

  // Scheduled guests who have not joined yet: no name is known, only time, role and progress.
  room.expectedTitle = el("h3", { attrs: { id: `room-${n}-expected` } });
  room.expectedList = el("ul", { className: "expected", attrs: { "aria-labelledby": room.expectedTitle.id } });
  room.expectedEmpty = el("p", { className: "empty" });
  setText(room.expectedEmpty, "clin.nobody_expected");

  room.callArea = buildCallArea(room);
  room.callEnded = el("p", { className: "notice", attrs: { role: "status" } });
  room.callEnded.hidden = true;

  room.section = el("section", { className: "room card", attrs: { "aria-labelledby": title.id }, children: [
    title, room.status,
    el("div", { className: "room-tools", children: [noticeForm, room.admitAll] }),
    room.waitingTitle, room.lobby, room.empty, room.callEnded, room.callArea,
    el("div", { className: "expected-area", children: [room.expectedTitle, room.expectedList, room.expectedEmpty] }),
    scheduleArea(info, { confirm: confirmDialog, changed: () => refreshLobby(room) }),
  ] });
  state.rooms.set(room.id, room);
  byId("rooms").append(room.section);
  renderRoom(room);
}

function buildCallArea(room) {
  const n = room.n;
  room.callTitle = el("h3", { attrs: { tabindex: "-1", id: `room-${n}-call` } });
  setText(room.callTitle, "clin.call_title");
  room.callStatus = el("p", { className: "muted", attrs: { role: "status" } });
  room.grid = el("div", { className: "video-grid" });
  room.enableSound = button("call.enable_sound", "primary", () => {
    unmuteTiles(room.grid);
    room.enableSound.hidden = true;
  });
  room.enableSound.hidden = true;
  room.selfVideo = el("video", { attrs: { autoplay: true, muted: true, playsinline: true } });
  room.selfVideo.muted = true;
  const selfCaption = el("figcaption");
  setText(selfCaption, "call.you");
  room.mic = button("call.mute", "", () => {
    state.muted = !state.muted;
    if (state.call) state.call.setMuted(state.muted);
    renderControls(room);
    announce(t(state.muted ? "call.muted" : "call.unmuted"));
  });
  room.camera = button("call.camera_off", "", () => {
    state.cameraOff = !state.cameraOff;
    if (state.call) state.call.setCameraOff(state.cameraOff);
    renderControls(room);
    announce(t(state.cameraOff ? "call.camera_is_off" : "call.camera_is_on"));
  });
  room.endAll = button("clin.end", "danger", () => endConsultation(room));
  const participantsTitle = el("h4", { attrs: { id: `room-${n}-participants` } });
  setText(participantsTitle, "clin.participants");
  room.participantList = el("ul", { className: "participants", attrs: { "aria-labelledby": participantsTitle.id } });

  room.techCode = el("select", { attrs: { id: `tech-code-${n}` } });
  const techSend = button("call.tech_send", "", async () => {
    if (!state.call) return;
    const code = room.techCode.value;
    const ack = await state.call.sendTech(code);
    addTechLine(room, ack.ok ? t("call.tech_sent", { message: t(`tech.${code}`) }) : errorText(ack.error));
  });
  const techTitle = el("h4");
  setText(techTitle, "call.tech_title");
  room.techLog = el("div", { className: "tech-log", attrs: { role: "log", "aria-live": "polite" } });
  room.techLog.dataset.i18nLabel = "call.tech_log";

  const area = el("div", { className: "call-area", attrs: { "aria-labelledby": room.callTitle.id, role: "region" }, children: [
    room.callTitle, room.callStatus,
    el("div", { className: "call-layout", children: [
      el("div", { children: [room.grid, room.enableSound] }),
      el("div", { children: [
        el("figure", { className: "tile self-tile", children: [room.selfVideo, selfCaption] }),
        el("div", { className: "controls", attrs: { role: "group", "aria-labelledby": room.callTitle.id }, children: [room.mic, room.camera, room.endAll] }),
        participantsTitle, room.participantList,
        techTitle,
        el("div", { className: "tech-send", children: [field("call.tech_label", room.techCode), techSend] }),
        room.techLog,
      ] }),
    ] }),
  ] });
  area.hidden = true;
  return area;
}

function renderRoom(room) {
  const chosen = room.noticeCode.value;
  clear(room.noticeCode);
  for (const code of NOTICE_CODES) room.noticeCode.append(el("option", { text: t(`clin.notice.${code}`), attrs: { value: code } }));
  room.noticeCode.value = chosen || NOTICE_CODES[0];
  room.minutesField.hidden = room.noticeCode.value !== "running_late";
  const tech = room.techCode.value;
  clear(room.techCode);
  for (const code of TECH_CODES) room.techCode.append(el("option", { text: t(`tech.${code}`), attrs: { value: code } }));
  if (tech) room.techCode.value = tech;
  room.techLog.setAttribute("aria-label", t("call.tech_log"));
  renderControls(room);
  renderLobby(room);
  if (state.call && state.callRoom === room) renderCall();
}

function renderControls(room) {
  setText(room.mic, state.muted ? "call.unmute" : "call.mute");
  setText(room.camera, state.cameraOff ? "call.camera_on" : "call.camera_off");
}

// --- the lobby ---------------------------------------------------------------------------

function updateLobby(room, visits, expected = []) {
  const waiting = visits.filter((visit) => visit.state === "waiting");
  const arrived = waiting.filter((visit) => !room.waitingIds.has(visit.visit_id));
  if (!room.first && arrived.length) arrival(room, arrived);
  room.first = false;
  room.waitingIds = new Set(waiting.map((visit) => visit.visit_id));

  const inCall = new Map(visits.filter((visit) => CALL_STATES.has(visit.state)).map((visit) => [visit.visit_id, visit]));
  for (const [id, before] of room.inCall) {
    if (inCall.has(id) || room.waitingIds.has(id)) continue;
    if (state.expectedEnds.delete(id)) continue;
    const line = t("clin.left_call", { name: before.display_name || t(`role.${before.role}`) });
    room.lastDeparture = line;
    addTechLine(room, line);
    announce(line);
  }
  room.inCall = inCall;
  room.visits = visits;
  room.expected = [...expected].sort((a, b) => (a.appointment_start - b.appointment_start) || String(a.visit_id).localeCompare(String(b.visit_id)));
  renderLobby(room);
  if (inCall.size && !state.call && !state.callStarting) startCall(room);
  else if (!inCall.size && state.callRoom === room) finishCall(room);
  if (state.callRoom === room) renderCall();
}

/** The room's appointments changed here (scheduled, revoked): read its lobby afresh. */
async function refreshLobby(room) {
  if (!state.socket) return;
  const ack = await request(state.socket, "lobby", { room_id: room.id });
  const lobby = ack.ok && ack.lobby;
  if (lobby && Array.isArray(lobby.visits)) updateLobby(room, lobby.visits, Array.isArray(lobby.expected) ? lobby.expected : []);
}

function arrival(room, visits) {
  media.playChime({ notes: [784, 988], length: 0.25, volume: 0.3 });
  const names = visits.map((visit) => visit.display_name).join(", ");
  announce(t("clin.arrived", { names, room: room.info.name }));
  if ("Notification" in window && Notification.permission === "granted" && document.visibilityState !== "visible") {
    try {
      // The operating system shows this: no patient name in it.
      new Notification(t("clin.arrival_title"), { body: t("clin.arrival_body", { room: room.info.name }), tag: `venterom-${room.id}` });
    } catch {
      // some browsers only allow notifications from a service worker
    }
  }
}

function renderLobby(room) {
  const waiting = room.visits.filter((visit) => visit.state === "waiting");
  setText(room.waitingTitle, "clin.waiting_count", { count: waiting.length });
  room.empty.hidden = waiting.length > 0;
  room.admitAll.hidden = waiting.length < 2;
  syncList(room.lobby, room.entries, waiting, (visit) => buildEntry(room, visit), updateEntry);
  const inCall = room.visits.filter((visit) => CALL_STATES.has(visit.state));
  syncList(room.participantList, room.participants, inCall, (visit) => buildParticipant(room, visit), updateParticipant);
  renderExpected(room);
}

function renderExpected(room) {
  const count = room.expected.length;
  setText(room.expectedTitle, "clin.expected_count", { count });
  room.expectedList.hidden = count === 0;
  room.expectedEmpty.hidden = count > 0;
  syncList(room.expectedList, room.expectedNodes, room.expected, buildExpected, updateExpected);
}

/** Keep a list's items (keyed by visit_id) in step with `visits`, reusing nodes so focus stays. */
function syncList(list, nodes, visits, build, update) {
  const keep = new Set(visits.map((visit) => visit.visit_id));
  for (const [id, node] of nodes) {
    if (!keep.has(id)) {
      node.item.remove();
      nodes.delete(id);
    }
  }
  visits.forEach((visit, index) => {
    let node = nodes.get(visit.visit_id);
    if (!node) {
      node = build(visit);
      nodes.set(visit.visit_id, node);
    }
    node.visit = visit;
    update(node);
    if (list.children[index] !== node.item) list.insertBefore(node.item, list.children[index] || null);
  });
}

let entryCounter = 0;

function buildEntry(room, visit) {
  entryCounter += 1;
  const id = `entry-${entryCounter}`;
  const node = { id, visit };
  node.name = el("p", { className: "entry-name", attrs: { id: `${id}-name` } });
  node.identity = el("span", { className: "badge" });
  node.reconnecting = el("span", { className: "badge warn" });
  node.facts = el("dl", { className: "facts" });
  node.admit = button("clin.admit", "primary", () => visitAction(room, node, "admit"));
  node.check = button("clin.identity_checked", "", () => visitAction(room, node, "check_identity"));
  node.reason = el("select", { attrs: { id: `${id}-reason` } });
  node.deny = button("clin.deny", "danger", () => deny(room, node));
  for (const control of [node.admit, node.check, node.deny]) control.setAttribute("aria-describedby", node.name.id);
  node.reasonField = field("clin.deny_reason", node.reason);
  node.item = el("li", { className: "entry", attrs: { "aria-labelledby": node.name.id }, children: [
    el("div", { className: "entry-head", children: [node.name, node.identity, node.reconnecting] }),
    node.facts,
    el("div", { className: "actions", children: [
      node.admit, node.check,
      el("div", { className: "deny-group", children: [node.reasonField, node.deny] }),
    ] }),
  ] });
  return node;
}

function nameOf(visit) {
  return visit.display_name || t(`role.${visit.role}`);
}

function fact(dl, termKey, value, className) {
  const dt = el("dt");
  setText(dt, termKey);
  const dd = el("dd", { className, children: value instanceof Node ? [value] : [] });
  if (!(value instanceof Node)) dd.textContent = value;
  dl.append(dt, dd);
  return dd;
}

function waitedSpan(since) {
  const span = el("span", { text: formatDuration(Date.now() / 1000 - since) });
  span.dataset.since = String(since);
  return span;
}

function updateEntry(node) {
  const visit = node.visit;
  node.name.textContent = nameOf(visit);
  setText(node.identity, visit.identity_checked ? "clin.identity_ok" : "clin.unverified");
  node.identity.className = visit.identity_checked ? "badge ok" : "badge warn";
  node.reconnecting.hidden = !visit.reconnecting;
  setText(node.reconnecting, "clin.reconnecting");
  node.item.classList.toggle("reconnecting", Boolean(visit.reconnecting));
  clear(node.facts);
  fact(node.facts, "clin.role", t(`role.${visit.role}`));
  fact(node.facts, "clin.present", visit.present && visit.present.length ? visit.present.join(", ") : t("clin.alone"));
  const check = fact(node.facts, "clin.device_check", t(`device.${visit.device_check || "unknown"}`));
  if (visit.device_check === "failed" || visit.device_check === "warnings") check.className = "status-warn";
  if (visit.waiting_since) fact(node.facts, "clin.waited", waitedSpan(visit.waiting_since));
  if (visit.appointment_start) {
    const late = Date.now() / 1000 > visit.appointment_start + 300;
    fact(node.facts, "clin.appointment", formatClock(visit.appointment_start), late ? "late" : undefined);
  }
  node.check.hidden = Boolean(visit.identity_checked);
  const reason = node.reason.value;
  clear(node.reason);
  for (const code of DENY_REASONS) node.reason.append(el("option", { text: t(`clin.deny_reason.${code}`), attrs: { value: code } }));
  node.reason.value = reason || DENY_REASONS[0];
}

/** Past the appointment time and still not in the waiting room. */
function isLate(visit) {
  return Date.now() / 1000 > visit.appointment_start;
}

function capitalise(text) {
  return text.charAt(0).toLocaleUpperCase(locale()) + text.slice(1);
}

function buildExpected(visit) {
  const node = { visit, late: null };
  node.time = el("span", { className: "expected-time" });
  node.role = el("strong", { className: "expected-role" });
  node.progress = el("span");
  node.badge = el("span", { className: "badge late" });
  node.item = el("li", { className: "expected-item", children: [
    node.time, " ", el("span", { className: "expected-what", children: [node.role, " ", node.progress] }), " ",
  ] });
  return node;
}

function updateExpected(node) {
  const visit = node.visit;
  const checking = visit.state === "checking";
  node.late = isLate(visit);
  node.time.textContent = formatClock(visit.appointment_start);
  node.role.textContent = capitalise(t(`role.${visit.role}`));
  setText(node.progress, checking ? "clin.expected_checking" : "clin.expected_invited");
  if (node.late) {
    // A guest testing their devices is on the way in: a phone call now would only interrupt.
    setText(node.badge, checking ? "clin.expected_late" : "clin.expected_late_phone");
    node.item.append(node.badge);
  } else {
    node.badge.remove();
  }
  node.item.classList.toggle("is-late", node.late);
}

function buildParticipant(room, visit) {
  entryCounter += 1;
  const id = `participant-${entryCounter}`;
  const node = { id, visit };
  node.name = el("p", { className: "entry-name", attrs: { id: `${id}-name` } });
  node.badges = el("span");
  node.pause = button("clin.pause", "", () => visitAction(room, node, node.visit.state === "paused" ? "resume" : "pause"));
  node.check = button("clin.identity_checked", "", () => visitAction(room, node, "check_identity"));
  node.sendBack = button("clin.send_back", "", () => visitAction(room, node, "send_back"));
  node.phone = button("clin.move_to_phone", "", () => moveToPhone(room, node));
  for (const control of [node.pause, node.check, node.sendBack, node.phone]) control.setAttribute("aria-describedby", node.name.id);
  node.item = el("li", { attrs: { "aria-labelledby": node.name.id }, children: [
    el("div", { className: "entry-head", children: [node.name, node.badges] }),
    el("div", { className: "actions", children: [node.pause, node.check, node.sendBack, node.phone] }),
  ] });
  return node;
}

function updateParticipant(node) {
  const visit = node.visit;
  const role = t(`role.${visit.role}`);
  node.name.textContent = t("call.member", { name: nameOf(visit), role });
  clear(node.badges);
  const identity = el("span", { className: visit.identity_checked ? "badge ok" : "badge warn" });
  setText(identity, visit.identity_checked ? "clin.identity_ok" : "clin.unverified");
  node.badges.append(identity);
  if (visit.state === "paused") node.badges.append(" ", setText(el("span", { className: "badge info" }), "call.state_paused"));
  if (visit.reconnecting) node.badges.append(" ", setText(el("span", { className: "badge warn" }), "clin.reconnecting"));
  setText(node.pause, visit.state === "paused" ? "clin.resume" : "clin.pause");
  node.check.hidden = Boolean(visit.identity_checked);
}

function tick() {
  for (const span of document.querySelectorAll("[data-since]")) {
    span.textContent = formatDuration(Date.now() / 1000 - Number(span.dataset.since));
  }
  // An appointment time can pass while the page is open, with no lobby event to tell us.
  for (const room of state.rooms.values()) {
    for (const node of room.expectedNodes.values()) if (node.late !== isLate(node.visit)) updateExpected(node);
  }
}

// --- actions ----------------------------------------------------------------------------------

function report(room, key, vars) {
  setText(room.status, key, vars);
}

async function visitAction(room, node, action) {
  const name = nameOf(node.visit);
  if (["end", "move_to_phone", "remove"].includes(action)) state.expectedEnds.add(node.visit.visit_id);
  const ack = await request(state.socket, action, { visit_id: node.visit.visit_id });
  if (!ack.ok) {
    state.expectedEnds.delete(node.visit.visit_id);
    report(room, "clin.action_failed", { error: errorText(ack.error) });
    return;
  }
  report(room, `clin.done.${action}`, { name });
  if (action === "admit") {
    if (state.callRoom === room && state.call) room.callTitle.focus();
    else room.pendingFocus = "call";
  }
  if (action === "send_back") room.waitingTitle.focus();
}

async function admitAll(room) {
  const ack = await request(state.socket, "admit_all", { room_id: room.id });
  if (!ack.ok) report(room, "clin.action_failed", { error: errorText(ack.error) });
  else {
    report(room, "clin.done.admit_all", { count: ack.admitted.length });
    room.pendingFocus = "call";
  }
}

async function deny(room, node) {
  const reason = node.reason.value;
  const yes = await confirmDialog("clin.confirm_deny_title", { name: nameOf(node.visit) }, `clin.deny_reason.${reason}`, "clin.deny");
  if (!yes) return;
  const ack = await request(state.socket, "deny", { visit_id: node.visit.visit_id, reason });
  if (!ack.ok) report(room, "clin.action_failed", { error: errorText(ack.error) });
  else {
    report(room, "clin.done.deny", { name: nameOf(node.visit) });
    room.waitingTitle.focus();
  }
}

async function moveToPhone(room, node) {
  const yes = await confirmDialog("clin.confirm_phone_title", { name: nameOf(node.visit) }, "clin.confirm_phone_text", "clin.move_to_phone");
  if (yes) await visitAction(room, node, "move_to_phone");
}

async function endConsultation(room) {
  const yes = await confirmDialog("clin.confirm_end_title", {}, "clin.confirm_end_text", "clin.end");
  if (!yes) return;
  for (const visit of room.inCall.values()) {
    state.expectedEnds.add(visit.visit_id);
    const ack = await request(state.socket, "end", { visit_id: visit.visit_id });
    if (!ack.ok) {
      state.expectedEnds.delete(visit.visit_id);
      report(room, "clin.action_failed", { error: errorText(ack.error) });
    }
  }
  room.lastDeparture = t("clin.you_ended");
}

async function sendNotice(room) {
  const code = room.noticeCode.value;
  const payload = { room_id: room.id, code };
  if (code === "running_late") {
    const minutes = Number.parseInt(room.minutes.value, 10);
    if (!Number.isInteger(minutes) || minutes < 5 || minutes > 120) {
      report(room, "clin.minutes_invalid");
      room.minutes.focus();
      return;
    }
    payload.minutes = minutes;
  }
  const ack = await request(state.socket, "notice", payload);
  if (!ack.ok) report(room, "clin.action_failed", { error: errorText(ack.error) });
  else report(room, code === "clear" ? "clin.notice_cleared" : "clin.notice_sent", { notice: t(`clin.notice.${code}`) });
}

function confirmDialog(titleKey, vars, textKey, yesKey) {
  const dialog = byId("confirm-dialog");
  setText(byId("confirm-title"), titleKey, vars);
  setText(byId("confirm-text"), textKey);
  setText(byId("confirm-yes"), yesKey);
  dialog.returnValue = "";
  dialog.showModal();
  byId("confirm-no").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
  });
}

// --- the call -----------------------------------------------------------------------------------

async function startCall(room) {
  state.callRoom = room;
  room.callArea.hidden = false;
  room.callEnded.hidden = true;
  room.lastDeparture = "";
  setText(room.callStatus, "call.connecting");
  state.callStarting = (async () => {
    const opened = await media.openMedia();
    if (opened.error) addTechLine(room, t(`check.error.${opened.error}`));
    state.stream = opened.stream || new MediaStream();
    await media.play(room.selfVideo, state.stream);
    const call = new Call({ socket: state.socket, localStream: state.stream, roomId: room.id });
    call.setMuted(state.muted);
    call.setCameraOff(state.cameraOff);
    call.addEventListener("change", renderCall);
    call.addEventListener("tech", ({ detail }) => {
      const line = t("call.tech_received", { name: detail.member ? detail.member.name : t("call.someone"), message: t(`tech.${detail.code}`) });
      addTechLine(room, line);
      announce(line);
    });
    call.addEventListener("error", ({ detail }) => report(room, "clin.call_failed", { error: errorText(detail.error) }));
    state.call = call;
    await call.join();
  })();
  try {
    await state.callStarting;
  } finally {
    state.callStarting = null;
  }
  if (!room.inCall.size) finishCall(room);
  else {
    renderCall();
    if (room.pendingFocus === "call") room.callTitle.focus();
    room.pendingFocus = null;
  }
}

async function stopCall() {
  const call = state.call;
  state.call = null;
  if (call) await call.leave();
  media.stopMedia(state.stream);
  state.stream = null;
  if (state.callRoom) {
    clearTiles(state.callRoom.grid, state.tiles);
    state.callRoom.selfVideo.srcObject = null;
    state.callRoom.callArea.hidden = true;
  }
  state.callRoom = null;
}

async function finishCall(room) {
  await stopCall();
  clear(room.techLog);
  room.callEnded.hidden = false;
  room.callEnded.textContent = [t("clin.call_ended"), room.lastDeparture || ""].join(" ").trim();
  // Another room may have someone in a call waiting for us.
  for (const other of state.rooms.values()) {
    if (other !== room && other.inCall.size && !state.call) {
      startCall(other);
      break;
    }
  }
}

function renderCall() {
  const room = state.callRoom;
  const call = state.call;
  if (!room || !call) return;
  const { count, connected } = renderTiles(room.grid, call, state.tiles, () => {
    room.enableSound.hidden = false;
  });
  const key = !count ? "clin.call_waiting" : connected ? "call.connected" : "call.connecting";
  if (room.callStatus.dataset.i18n !== key) setText(room.callStatus, key);
}

function addTechLine(room, text) {
  room.techLog.append(el("p", { text }));
  while (room.techLog.children.length > 6) room.techLog.firstElementChild.remove();
}

boot().catch((error) => {
  console.error("start-up failed", error);
});

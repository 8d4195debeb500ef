// The guest's page at /join: open the invitation, test devices, join, wait, talk, leave.
// Every state the guest can be in has its own screen; the server's visit state decides which.

import { initI18n, hasText, onLanguageChange, setText, t, formatClock, formatDateTime, formatDuration, formatNumber } from "/common/i18n.js";
import { announce, byId, clear, el, errorText, showScreen } from "/common/dom.js";
import { api } from "/common/api.js";
import { connectWithBanner, request } from "/common/socket.js";
import { Call } from "/common/call.js";
import { clearTiles, memberLabel, renderTiles, unmuteTiles } from "/common/tiles.js";
import * as media from "/common/media.js";

const GUEST_TECH_CODES = ["cant_hear_you", "cant_see_you", "video_frozen", "audio_choppy", "one_moment", "reconnecting"];
const STEP_OF_SCREEN = { check: "check", details: "details", waiting: "waiting", call: "call", paused: "call" };
const HELP_SCREENS = new Set(["details", "waiting", "call", "paused", "ended"]);
const ECHO_SECONDS = 5;
const GOOD_RTT_MS = 400;
const GOOD_LOSS = 0.05;

const state = {
  visit: null,
  room: null,
  notice: null,
  socket: null,
  screen: null,
  localStep: "check",
  stream: null,
  call: null,
  callStarting: null,
  muted: false,
  cameraOff: false,
  check: { started: false, skipped: false, camera: null, light: null, mic: null, speaker: null, connection: null },
  stopMeter: null,
  lightTimer: null,
  waitedTimer: null,
  tiles: new Map(),
  pendingSignals: [],
};

// --- start ---------------------------------------------------------------------------

async function boot() {
  await initI18n();
  onLanguageChange(() => {
    renderContacts();
    renderWaited();
    renderAppointment();
    renderTechOptions();
    if (state.call) renderCall();
  });
  // A second invitation link opened in this tab changes only the fragment: start over with it.
  window.addEventListener("hashchange", () => location.reload());
  wireCheck();
  wireDetails();
  wireWaiting();
  wireCall();
  renderTechOptions();
  await openSession();
}

async function openSession() {
  const token = location.hash.length > 1 ? decodeURIComponent(location.hash.slice(1)) : "";
  if (token) history.replaceState(null, "", location.pathname + location.search);
  const answer = token ? await api("POST", "/api/guest/session", { token }) : await api("GET", "/api/guest/session");
  if (!answer.ok) {
    showLinkError(linkProblem(answer, Boolean(token)));
    return;
  }
  state.visit = answer.data.visit;
  state.room = answer.data.room;
  state.notice = answer.data.notice;
  renderRoom();
  openSocket();
  route();
}

function linkProblem(answer, hadToken) {
  if (answer.status === 0) return "network";
  const code = answer.data && answer.data.error;
  if (code === "token_expired") return "expired";
  if (code === "token_not_yet_valid") return "not_yet";
  if (code === "invitation_revoked") return "revoked";
  if (code === "room_closed") return "room_closed";
  if (code === "unauthenticated") return hadToken ? "invalid" : "no_link";
  if (code === "invalid_token" || code === "invalid_payload") return "invalid";
  return "network";
}

function showLinkError(kind) {
  setText(byId("link-error-title"), `link.${kind}.title`);
  setText(byId("link-error-text"), `link.${kind}.text`);
  // A cancelled invitation or a closed room will not start working: no "if it still does not work".
  setText(byId("link-error-contact"), kind === "revoked" || kind === "room_closed" ? "link.contact_clinic" : "link.contact");
  byId("link-error-contact").hidden = kind === "replaced";
  byId("retry-link").hidden = kind !== "network";
  go("link-error", true);
}

/** The server refuses a connection without a valid session (data or message "unauthenticated"). */
function openSocket() {
  const socket = connectWithBanner("/guest", byId("connection-banner"), () => {
    if (!state.visit || state.visit.state !== "ended") showLinkError("session_ended");
  });
  state.socket = socket;
  socket.on("visit", (visit) => {
    state.visit = visit;
    route();
  });
  // Signaling can arrive as soon as we are let in, before the call has started listening.
  socket.on("signal", (message) => {
    if (!state.call || !state.call.active) state.pendingSignals.push(message);
  });
  socket.on("notice", (notice) => {
    state.notice = notice && notice.code !== "clear" ? notice : null;
    renderNotice(true);
  });
  // The link was opened on another device: the visit goes on there, never on both.
  socket.on("replaced", () => {
    socket.disconnect();
    leaveCall();
    stopCheck();
    showLinkError("replaced");
  });
}

// --- screens ---------------------------------------------------------------------------

function go(screen, force = false) {
  if (state.screen === screen && !force) return false;
  state.screen = screen;
  const step = STEP_OF_SCREEN[screen];
  const steps = byId("steps");
  steps.hidden = !step;
  let reached = false;
  for (const item of steps.querySelectorAll("li")) {
    const current = item.dataset.step === step;
    if (current) item.setAttribute("aria-current", "step");
    else item.removeAttribute("aria-current");
    item.classList.toggle("done", !reached && !current);
    if (current) reached = true;
  }
  byId("help").hidden = !HELP_SCREENS.has(screen);
  if (screen !== "waiting") stopWaitedTimer();
  showScreen(screen);
  return true;
}

function route() {
  const visit = state.visit;
  if (!visit) return;
  switch (visit.state) {
    case "invited":
    case "checking":
      leaveCall();
      go(state.localStep);
      break;
    case "waiting":
      enterWaiting();
      break;
    case "in_call":
      enterCall();
      break;
    case "paused":
      enterPaused();
      break;
    case "ended":
      enterEnded();
      break;
    default:
      break;
  }
}

// --- room and contacts -----------------------------------------------------------------

function renderRoom() {
  const clinic = byId("clinic-name");
  clinic.textContent = state.room && state.room.clinic_name ? `· ${state.room.clinic_name}` : "";
  renderContacts();
}

function phoneLink(number) {
  return el("a", { text: number, attrs: { href: `tel:${number.replace(/[^+\d]/g, "")}` } });
}

function renderContacts() {
  for (const box of document.querySelectorAll("[data-contacts]")) {
    clear(box);
    const room = state.room;
    if (!room || (!room.clinic_phone && !room.support_phone)) {
      box.append(el("p", { text: t("contacts.see_invitation") }));
      continue;
    }
    if (room.clinic_phone) {
      box.append(el("p", { children: [
        el("span", { text: t("contacts.clinic", { clinic: room.clinic_name || t("contacts.the_clinic") }) + " " }),
        phoneLink(room.clinic_phone),
      ] }));
    }
    if (room.support_phone) {
      box.append(el("p", { children: [el("span", { text: t("contacts.support") + " " }), phoneLink(room.support_phone)] }));
    }
  }
}

// --- step 1: device check --------------------------------------------------------------

function wireCheck() {
  const support = media.browserSupport();
  const result = byId("support-result");
  if (media.isSupported(support)) {
    result.className = "notice good";
    setText(result, "check.supported");
  } else {
    result.className = "notice bad";
    setText(result, support.secure ? "check.unsupported" : "check.insecure");
    byId("start-check").disabled = true;
  }
  byId("start-check").addEventListener("click", startCheck);
  byId("check-continue").addEventListener("click", () => finishCheck(false));
  byId("check-skip").addEventListener("click", () => finishCheck(true));
  byId("play-sound").addEventListener("click", playTestSound);
  byId("heard-yes").addEventListener("click", () => speakerAnswer(true));
  byId("heard-no").addEventListener("click", () => speakerAnswer(false));
  byId("retest-connection").addEventListener("click", connectionTest);
}

async function startCheck() {
  const button = byId("start-check");
  button.disabled = true;
  media.audio(); // created on this click, so that sound may play later
  state.check.started = true;
  const opened = await media.openMedia();
  const error = byId("media-error");
  if (opened.error) {
    state.check.camera = "failed";
    setText(error, `check.error.${opened.error}`);
    error.hidden = false;
    button.disabled = false;
    setText(button, "check.try_again");
    byId("check-continue").hidden = false;
    return;
  }
  error.hidden = true;
  byId("check-start-actions").hidden = true;
  byId("check-skip").hidden = true;
  state.stream = opened.stream;
  byId("check-results").hidden = false;
  const video = byId("check-video");
  await media.play(video, state.stream);
  watchCamera(video);
  state.stopMeter = media.levelMeter(state.stream, (level) => {
    byId("mic-meter").value = level;
    if (level > 0.04 && state.check.mic !== "ok") {
      state.check.mic = "ok";
      result("mic-result", "check.mic_ok", "ok");
    }
  });
  byId("check-continue").hidden = false;
  announce(t("check.started"));
  connectionTest();
}

function result(id, key, tone) {
  const element = byId(id);
  setText(element, key);
  element.className = tone === "ok" ? "status-ok" : tone === "warn" ? "status-warn" : tone === "bad" ? "status-bad" : "";
}

function watchCamera(video) {
  const sample = () => {
    const luminance = media.frameLuminance(video);
    if (luminance === null) return;
    if (state.check.camera !== "ok") {
      state.check.camera = "ok";
      result("camera-result", "check.camera_ok", "ok");
    }
    const dark = luminance < media.TOO_DARK;
    const light = dark ? "dark" : "ok";
    if (light !== state.check.light) {
      state.check.light = light;
      result("light-result", dark ? "check.light_dark" : "check.light_ok", dark ? "warn" : "ok");
      byId("light-advice").hidden = !dark;
    }
  };
  clearInterval(state.lightTimer);
  state.lightTimer = setInterval(sample, 1000);
  setTimeout(sample, 400);
}

async function playTestSound() {
  const button = byId("play-sound");
  button.disabled = true;
  await media.playChime();
  button.disabled = false;
  byId("speaker-question").hidden = false;
  byId("heard-yes").focus();
}

function speakerAnswer(heard) {
  state.check.speaker = heard ? "ok" : "no";
  result("speaker-result", heard ? "check.speaker_ok" : "check.speaker_no", heard ? "ok" : "warn");
  byId("speaker-advice").hidden = heard;
  byId("speaker-question").hidden = true;
  byId("play-sound").focus();
}

function waitForIce(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, ms);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The echo test: our media goes to the server's echo peer and back; RTT and loss are shown. */
async function connectionTest() {
  if (!state.stream || !state.socket) return;
  const retest = byId("retest-connection");
  retest.hidden = true;
  result("connection-result", "check.connection_testing", "");
  setText(byId("connection-detail"), "check.connection_wait");
  const pc = new RTCPeerConnection({ iceServers: [] });
  let stats = null;
  try {
    for (const track of state.stream.getTracks()) pc.addTrack(track, state.stream);
    pc.ontrack = ({ streams }) => {
      if (streams[0]) {
        byId("echo-tile").hidden = false;
        media.play(byId("echo-video"), streams[0]);
      }
    };
    await pc.setLocalDescription(await pc.createOffer());
    await waitForIce(pc, 3000);
    const ack = await request(state.socket, "echo_start", { description: { type: "offer", sdp: pc.localDescription.sdp } }, 15000);
    if (!ack.ok) {
      state.check.connection = "unavailable";
      result("connection-result", ack.error === "busy" ? "check.connection_busy" : "check.connection_unavailable", "");
      setText(byId("connection-detail"), ack.error === "busy" ? "check.connection_busy_text" : "check.connection_unavailable_text");
      retest.hidden = ack.error !== "busy";
      return;
    }
    await pc.setRemoteDescription(ack.description);
    for (let second = 0; second < ECHO_SECONDS; second += 1) {
      await sleep(1000);
      const answer = await request(state.socket, "echo_stats", undefined, 5000);
      if (answer.ok) stats = answer;
    }
  } catch {
    stats = null;
  } finally {
    pc.close();
    byId("echo-tile").hidden = true;
    byId("echo-video").srcObject = null;
    if (state.socket) request(state.socket, "echo_stop", undefined, 5000);
  }
  if (state.check.connection === "unavailable") return;
  retest.hidden = false;
  if (!stats || stats.state !== "connected" && stats.rtt_ms == null) {
    state.check.connection = "failed";
    result("connection-result", "check.connection_failed", "warn");
    setText(byId("connection-detail"), "check.connection_failed_text");
    return;
  }
  const rtt = typeof stats.rtt_ms === "number" ? stats.rtt_ms : null;
  const loss = typeof stats.packet_loss === "number" ? stats.packet_loss : 0;
  const good = (rtt === null || rtt < GOOD_RTT_MS) && loss < GOOD_LOSS;
  state.check.connection = good ? "ok" : "poor";
  result("connection-result", good ? "check.connection_good" : "check.connection_poor", good ? "ok" : "warn");
  setText(byId("connection-detail"), "check.connection_numbers", {
    rtt: rtt === null ? "–" : formatNumber(rtt),
    loss: formatNumber(loss * 100, 1),
  });
}

function deviceCheckSummary() {
  const check = state.check;
  if (check.skipped) return "skipped";
  if (!check.started) return "unknown";
  if (check.camera === "failed" || !media.isSupported()) return "failed";
  const warnings = check.light === "dark" || check.speaker === "no" || check.mic !== "ok"
    || check.connection === "poor" || check.connection === "failed";
  return warnings ? "warnings" : "passed";
}

function stopCheck() {
  if (state.stopMeter) state.stopMeter();
  state.stopMeter = null;
  clearInterval(state.lightTimer);
  byId("check-video").srcObject = null;
  media.stopMedia(state.stream);
  state.stream = null;
}

/** Back from the details: the test can be run again from the start. */
function resetCheck() {
  state.check = { started: false, skipped: false, camera: null, light: null, mic: null, speaker: null, connection: null };
  byId("check-results").hidden = true;
  byId("check-start-actions").hidden = false;
  byId("check-skip").hidden = false;
  byId("check-continue").hidden = true;
  byId("media-error").hidden = true;
  byId("speaker-question").hidden = true;
  byId("speaker-advice").hidden = true;
  byId("light-advice").hidden = true;
  const start = byId("start-check");
  start.disabled = !media.isSupported();
  setText(start, "check.start");
  for (const [id, key] of [["camera-result", "check.waiting_result"], ["light-result", "check.waiting_result"],
    ["mic-result", "check.mic_speak"], ["speaker-result", "check.speaker_untested"], ["connection-result", "check.waiting_result"]]) {
    result(id, key, "");
  }
  byId("connection-detail").textContent = "";
}

function finishCheck(skipped) {
  state.check.skipped = skipped && !state.check.started;
  stopCheck();
  state.localStep = "details";
  go("details");
}

// --- step 2: details -----------------------------------------------------------------

function wireDetails() {
  byId("add-person").addEventListener("click", () => addPerson(true));
  byId("details-back").addEventListener("click", () => {
    resetCheck();
    state.localStep = "check";
    go("check");
  });
  byId("details-form").addEventListener("submit", (event) => {
    event.preventDefault();
    join();
  });
  onLanguageChange(renumberPeople);
}

const PRESENT_MAX = 6;

function addPerson(focus) {
  const list = byId("present-list");
  if (list.children.length >= PRESENT_MAX) return;
  const input = el("input", { attrs: { type: "text", maxlength: "64", autocomplete: "off" } });
  const label = el("label");
  const remove = el("button", { className: "quiet", attrs: { type: "button" } });
  const item = el("li", { children: [label, el("div", { className: "person-row", children: [input, remove] })] });
  remove.addEventListener("click", () => {
    item.remove();
    renumberPeople();
    byId("add-person").focus();
  });
  list.append(item);
  renumberPeople();
  if (focus) input.focus();
}

function renumberPeople() {
  const items = [...byId("present-list").children];
  items.forEach((item, index) => {
    const input = item.querySelector("input");
    const label = item.querySelector("label");
    const remove = item.querySelector("button");
    input.id = `present-${index + 1}`;
    label.htmlFor = input.id;
    setText(label, "details.person_label", { n: index + 1 });
    setText(remove, "details.remove_person");
    remove.setAttribute("aria-label", t("details.remove_person_n", { n: index + 1 }));
  });
  byId("add-person").hidden = items.length >= PRESENT_MAX;
}

function fieldError(input, errorId, invalid) {
  input.setAttribute("aria-invalid", invalid ? "true" : "false");
  byId(errorId).hidden = !invalid;
  const described = new Set((input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
  if (invalid) described.add(errorId);
  else described.delete(errorId);
  input.setAttribute("aria-describedby", [...described].join(" "));
}

async function join() {
  const name = byId("display-name");
  const consent = byId("consent");
  const nameMissing = !name.value.trim();
  fieldError(name, "display-name-error", nameMissing);
  fieldError(consent, "consent-error", !consent.checked);
  if (nameMissing) return name.focus();
  if (!consent.checked) return consent.focus();
  const present = [...byId("present-list").querySelectorAll("input")].map((input) => input.value.trim()).filter(Boolean);
  const button = byId("join-button");
  const problem = byId("join-error");
  button.disabled = true;
  problem.hidden = true;
  const ack = await request(state.socket, "join", {
    display_name: name.value.trim(),
    consent: true,
    present,
    device_check: deviceCheckSummary(),
  });
  button.disabled = false;
  if (!ack.ok) {
    problem.textContent = ack.error === "invalid_payload" ? t("details.join_invalid") : errorText(ack.error);
    problem.hidden = false;
    return;
  }
  state.visit = ack.visit;
  route();
}

// --- step 3: waiting -------------------------------------------------------------------

function wireWaiting() {
  byId("leave-waiting").addEventListener("click", () => byId("leave-dialog").showModal());
  byId("withdraw").addEventListener("click", () => byId("withdraw-dialog").showModal());
  byId("leave-confirm").addEventListener("click", () => guestAction("leave", "leave-dialog"));
  byId("leave-cancel").addEventListener("click", () => byId("leave-dialog").close());
  byId("withdraw-confirm").addEventListener("click", () => guestAction("withdraw", "withdraw-dialog"));
  byId("withdraw-cancel").addEventListener("click", () => byId("withdraw-dialog").close());
  byId("retry-link").addEventListener("click", () => location.reload());
}

async function guestAction(event, dialogId) {
  const ack = await request(state.socket, event);
  byId(dialogId).close();
  if (ack.ok) {
    state.visit = ack.visit;
    route();
  } else {
    announce(errorText(ack.error));
  }
}

function enterWaiting() {
  leaveCall();
  renderAppointment();
  renderNotice(false);
  if (go("waiting")) startWaitedTimer();
}

function renderAppointment() {
  const visit = state.visit;
  const target = byId("appointment-time");
  if (!visit || !visit.appointment_start) {
    target.textContent = "";
    return;
  }
  const sameDay = new Date(visit.appointment_start * 1000).toDateString() === new Date().toDateString();
  target.textContent = sameDay
    ? t("waiting.today_at", { time: formatClock(visit.appointment_start) })
    : formatDateTime(visit.appointment_start);
}

function renderWaited() {
  const visit = state.visit;
  if (!visit || !visit.waiting_since) return;
  byId("waited").textContent = formatDuration(Date.now() / 1000 - visit.waiting_since);
}

function startWaitedTimer() {
  stopWaitedTimer();
  renderWaited();
  state.waitedTimer = setInterval(renderWaited, 1000);
}

function stopWaitedTimer() {
  clearInterval(state.waitedTimer);
  state.waitedTimer = null;
}

function renderNotice(announceIt) {
  const box = byId("notice-text");
  const notice = state.notice;
  if (!notice) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  setText(box, `notice.${notice.code}`, { minutes: notice.minutes });
  box.hidden = false;
  if (announceIt && state.screen === "waiting") announce(box.textContent);
}

// --- step 4: the call ------------------------------------------------------------------

function wireCall() {
  byId("toggle-mic").addEventListener("click", () => {
    state.muted = !state.muted;
    if (state.call) state.call.setMuted(state.muted);
    renderControls();
    announce(t(state.muted ? "call.muted" : "call.unmuted"));
  });
  byId("toggle-camera").addEventListener("click", () => {
    state.cameraOff = !state.cameraOff;
    if (state.call) state.call.setCameraOff(state.cameraOff);
    renderControls();
    announce(t(state.cameraOff ? "call.camera_is_off" : "call.camera_is_on"));
  });
  byId("request-pause").addEventListener("click", async () => {
    const ack = await request(state.socket, "request_pause");
    if (ack.ok) {
      state.visit = ack.visit;
      route();
    } else announce(errorText(ack.error));
  });
  byId("leave-call").addEventListener("click", () => byId("leave-dialog").showModal());
  byId("leave-paused").addEventListener("click", () => byId("leave-dialog").showModal());
  byId("send-tech").addEventListener("click", async () => {
    if (!state.call) return;
    const code = byId("tech-code").value;
    const ack = await state.call.sendTech(code);
    addTechLine(ack.ok ? t("call.tech_sent", { message: t(`tech.${code}`) }) : errorText(ack.error));
  });
  byId("enable-sound").addEventListener("click", () => {
    unmuteTiles(byId("remote-videos"));
    byId("enable-sound").hidden = true;
  });
}

function renderTechOptions() {
  const select = byId("tech-code");
  const chosen = select.value;
  clear(select);
  for (const code of GUEST_TECH_CODES) select.append(el("option", { text: t(`tech.${code}`), attrs: { value: code } }));
  if (chosen) select.value = chosen;
}

function renderControls() {
  setText(byId("toggle-mic"), state.muted ? "call.unmute" : "call.mute");
  setText(byId("toggle-camera"), state.cameraOff ? "call.camera_on" : "call.camera_off");
}

async function ensureCall() {
  if (state.call) return state.call;
  if (state.callStarting) return state.callStarting;
  state.callStarting = (async () => {
    if (!state.stream) {
      const opened = await media.openMedia();
      state.stream = opened.stream || new MediaStream();
      if (opened.error) setText(byId("call-status"), `check.error.${opened.error}`);
    }
    const call = new Call({ socket: state.socket, localStream: state.stream });
    call.addEventListener("change", renderCall);
    call.addEventListener("tech", ({ detail }) => {
      const who = detail.member ? detail.member.name : t("call.someone");
      const line = t("call.tech_received", { name: who, message: t(`tech.${detail.code}`) });
      addTechLine(line);
      announce(line);
    });
    call.addEventListener("error", () => setText(byId("call-status"), "call.join_failed"));
    call.setMuted(state.muted);
    call.setCameraOff(state.cameraOff);
    state.call = call;
    media.play(byId("self-video"), state.stream);
    const joined = call.join();
    for (const message of state.pendingSignals.splice(0)) call.receive(message);
    await joined;
    return call;
  })();
  try {
    return await state.callStarting;
  } finally {
    state.callStarting = null;
  }
}

async function enterCall() {
  go("call");
  renderControls();
  const call = await ensureCall();
  dropCallIfOver();
  if (state.visit.state === "in_call") {
    call.setPaused(false);
    call.setMuted(state.muted);
    call.setCameraOff(state.cameraOff);
  }
  renderCall();
}

async function enterPaused() {
  go("paused");
  const call = await ensureCall();
  dropCallIfOver();
  if (state.visit.state === "paused") {
    call.setPaused(true);
    call.setMuted(true);
    call.setCameraOff(true);
  }
}

function leaveCall() {
  state.pendingSignals = [];
  if (!state.call) return;
  state.call.leave();
  state.call = null;
  clearTiles(byId("remote-videos"), state.tiles);
  byId("self-video").srcObject = null;
  clear(byId("tech-log"));
  byId("enable-sound").hidden = true;
  media.stopMedia(state.stream);
  state.stream = null;
}

const CALL_STATES = new Set(["in_call", "paused"]);

/** A call that finished starting after the visit left the call is closed at once. */
function dropCallIfOver() {
  if (!CALL_STATES.has(state.visit.state)) leaveCall();
}

function renderCall() {
  const call = state.call;
  if (!call) return;
  const { count, connected } = renderTiles(byId("remote-videos"), call, state.tiles, () => {
    byId("enable-sound").hidden = false;
  });
  const status = byId("call-status");
  const key = !count ? "call.waiting_for_others" : connected ? "call.connected" : "call.connecting";
  if (status.dataset.i18n !== key) {
    setText(status, key);
    if (key === "call.connected") announce(status.textContent);
  }
  const roster = byId("roster");
  clear(roster);
  for (const member of call.members) {
    const me = member.peer_id === call.peerId;
    const text = me ? t("call.member_you", { role: t(`role.${member.role}`) }) : memberLabel(member);
    const stateKey = member.reconnecting ? "call.state_reconnecting" : member.state === "paused" ? "call.state_paused" : null;
    roster.append(el("li", { text: stateKey ? `${text} – ${t(stateKey)}` : text }));
  }
}

function addTechLine(text) {
  const log = byId("tech-log");
  log.append(el("p", { text }));
  while (log.children.length > 5) log.firstElementChild.remove();
}

// --- ended -------------------------------------------------------------------------------

function enterEnded() {
  leaveCall();
  const visit = state.visit;
  const reason = visit.end_reason && hasText(`ended.${visit.end_reason}.title`) ? visit.end_reason : "completed";
  setText(byId("ended-title"), `ended.${reason}.title`);
  setText(byId("ended-text"), `ended.${reason}.text`);
  const detail = byId("ended-detail");
  if (reason === "denied" && visit.detail) {
    setText(detail, `deny.${visit.detail}`);
    detail.hidden = false;
  } else {
    detail.hidden = true;
  }
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  go("ended");
  if (state.socket) {
    state.socket.disconnect();
    byId("connection-banner").hidden = true;
  }
}

boot().catch((error) => {
  console.error("start-up failed", error);
  showLinkError("network");
});

// Step 3, the waiting room: appointment time, time waited, the clinician's notices, and the
// ways out (leave, withdraw consent). Owns the notice and the time-waited timer.

import { formatClock, formatDateTime, formatDuration, onLanguageChange, setText, t } from "/common/i18n.js";
import { announce, byId, errorText } from "/common/dom.js";
import { request } from "/common/socket.js";
import { currentScreen, go, onScreenChange } from "/guest/screens.js";

let shared = null;
let notice = null;
let waitedTimer = null;

/** Wire the waiting screen and the leave and withdraw dialogs; `context` gives socket and visit. */
export function wireWaiting(context) {
  shared = context;
  byId("leave-waiting").addEventListener("click", () => byId("leave-dialog").showModal());
  byId("withdraw").addEventListener("click", () => byId("withdraw-dialog").showModal());
  byId("leave-confirm").addEventListener("click", () => guestAction("leave", "leave-dialog"));
  byId("leave-cancel").addEventListener("click", () => byId("leave-dialog").close());
  byId("withdraw-confirm").addEventListener("click", () => guestAction("withdraw", "withdraw-dialog"));
  byId("withdraw-cancel").addEventListener("click", () => byId("withdraw-dialog").close());
  onScreenChange((screen) => {
    if (screen !== "waiting") stopWaitedTimer();
  });
  onLanguageChange(() => {
    renderWaited();
    renderAppointment();
  });
}

async function guestAction(event, dialogId) {
  const ack = await request(shared.socket, event);
  byId(dialogId).close();
  if (ack.ok) shared.visitChanged(ack.visit);
  else announce(errorText(ack.error));
}

export function enterWaiting() {
  renderAppointment();
  renderNotice(false);
  if (go("waiting")) startWaitedTimer();
}

/** The clinician's notice to everyone waiting (null or code "clear": none); said aloud if it is new. */
export function showNotice(next, { isNew = false } = {}) {
  notice = next && next.code !== "clear" ? next : null;
  renderNotice(isNew);
}

function renderAppointment() {
  const visit = shared && shared.visit;
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
  const visit = shared && shared.visit;
  if (!visit || !visit.waiting_since) return;
  byId("waited").textContent = formatDuration(Date.now() / 1000 - visit.waiting_since);
}

function startWaitedTimer() {
  stopWaitedTimer();
  renderWaited();
  waitedTimer = setInterval(renderWaited, 1000);
}

function stopWaitedTimer() {
  clearInterval(waitedTimer);
  waitedTimer = null;
}

function renderNotice(announceIt) {
  const box = byId("notice-text");
  if (!notice) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  setText(box, `notice.${notice.code}`, { minutes: notice.minutes });
  box.hidden = false;
  if (announceIt && currentScreen() === "waiting") announce(box.textContent);
}

// The operations page at /ops: live counts and wait times per room and instance, never names.
// Reads GET /api/ops/summary every 5 seconds (a staff session is needed): an operations
// account gets every room and the instances' health; a clinician their own rooms, no health.

import { initI18n, locale, onLanguageChange, setText, t, formatDuration, formatNumber } from "/common/i18n.js";
import { byId, clear, el, showScreen } from "/common/dom.js";
import { api } from "/common/api.js";

const POLL_MS = 5000;
let last = null;
let lastAt = null;

/** The totals shown, in order: catalog key and field of the summary's `totals`. */
const TOTALS = [
  ["ops.total.rooms_active", "rooms_active"],
  ["ops.total.waiting", "waiting"],
  ["ops.total.calls", "calls"],
  ["ops.total.in_call", "in_call"],
  ["ops.total.reconnecting", "reconnecting"],
  ["ops.total.echo", "echo_sessions"],
];

async function boot() {
  await initI18n();
  onLanguageChange(() => {
    if (last) render(last);
  });
  byId("logout").addEventListener("click", logOut);
  await poll(true);
  setInterval(() => poll(false), POLL_MS);
}

async function logOut() {
  await api("POST", "/api/logout");
  location.assign("/clinician");
}

async function poll(first) {
  const answer = await api("GET", "/api/ops/summary");
  if (answer.status === 401) {
    byId("logout").hidden = true;
    byId("dashboard-link").hidden = false;
    if (document.body.dataset.currentScreen !== "login-needed") showScreen("login-needed");
    return;
  }
  const problem = byId("ops-error");
  if (!answer.ok) {
    if (first) showScreen("summary");
    setText(problem, answer.status === 0 ? "ops.unreachable" : "ops.failed");
    problem.hidden = false;
    return;
  }
  problem.hidden = true;
  last = answer.data;
  lastAt = new Date();
  render(last);
  if (document.body.dataset.currentScreen !== "summary") showScreen("summary");
}

function duration(seconds) {
  return typeof seconds === "number" ? formatDuration(seconds) : "–";
}

function cell(value, number = true) {
  return el("td", { className: number ? "number" : undefined, text: value });
}

function render(summary) {
  renderTotals(summary.totals || {});
  renderHealth(summary.instances);
  renderRooms(summary.rooms || []);
  setText(byId("updated"), "ops.updated", { time: lastAt ? lastAt.toLocaleTimeString(locale()) : "" });
}

function renderTotals(totals) {
  const box = byId("totals");
  clear(box);
  for (const [key, field] of TOTALS) {
    const value = totals[field];
    const dt = setText(el("dt"), key);
    box.append(el("dl", { className: "total", children: [dt, el("dd", { text: value === undefined || value === null ? "–" : formatNumber(value) })] }));
  }
  const waitTotal = el("dl", { className: "total", children: [
    setText(el("dt"), "ops.total.wait_p90"),
    el("dd", { text: duration(totals.wait_p90) }),
  ] });
  box.append(waitTotal);
}

/** Instances are for operations accounts (an array); a clinician gets null: no health shown. */
function renderHealth(instances) {
  const health = Array.isArray(instances);
  byId("health-title").hidden = !health;
  byId("health-table").hidden = !health;
  // An operations account has no waiting rooms: /clinician would only send it back here.
  byId("dashboard-link").hidden = health;
  byId("logout").hidden = false;
  const rows = byId("instances");
  clear(rows);
  for (const instance of health ? instances : []) rows.append(instanceRow(instance));
}

function instanceRow(instance) {
  return el("tr", { children: [
    el("th", { text: instance.instance_id, attrs: { scope: "row" } }),
    el("td", { text: t(instance.store_ok ? "ops.ok" : "ops.down"), className: instance.store_ok ? "status-ok" : "status-bad" }),
    cell(formatNumber(instance.guests_connected || 0)),
    cell(formatNumber(instance.clinicians_connected || 0)),
    cell(instance.echo_sessions === null || instance.echo_sessions === undefined ? "–" : formatNumber(instance.echo_sessions)),
    cell(formatNumber(instance.reconnects || 0)),
    cell(duration(instance.uptime_seconds)),
  ] });
}

function renderRooms(rooms) {
  const rows = byId("room-rows");
  clear(rows);
  if (!rooms.length) {
    const td = setText(el("td", { attrs: { colspan: "8" } }), "ops.no_rooms");
    rows.append(el("tr", { children: [td] }));
  }
  for (const room of rooms) rows.append(roomRow(room));
}

function roomRow(room) {
  return el("tr", { children: [
    el("th", { text: room.name || room.room_id, attrs: { scope: "row" } }),
    cell(formatNumber(room.waiting)),
    cell(formatNumber(room.in_call)),
    cell(formatNumber(room.paused)),
    cell(formatNumber(room.reconnecting)),
    cell(duration(room.wait_p50)),
    cell(duration(room.wait_p90)),
    cell(duration(room.wait_max)),
  ] });
}

boot().catch((error) => console.error("start-up failed", error));

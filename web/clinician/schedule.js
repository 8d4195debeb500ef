// Scheduling on the clinician's dashboard: per room, one disclosure to schedule a visit and
// to manage its invitations (copy the link, send the e-mail, calendar file, revoke).
// Talks to the integration API under /api/v1 with the dashboard's session cookie.

import { hasText, language, locale, onLanguageChange, setText, t } from "/common/i18n.js";
import { announce, byId, clear, el, errorText } from "/common/dom.js";
import { api } from "/common/api.js";

const ROLES = ["patient", "companion", "interpreter"];
const INVITATION_LANGUAGES = [["nb", "Norsk (bokmål)"], ["en", "English"]];
const LOOK_BACK_MS = 4 * 3600 * 1000;
const PAGE_SIZE = 100;
const REFRESH_MS = 30000;
const REFRESH_SENDING_MS = 3000;
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;

const areas = new Set();
let emailUnavailable = false;
let counter = 0;
let emailTarget = null;

onLanguageChange(() => {
  for (const area of areas) renderArea(area);
});

/**
 * The room's scheduling disclosure, closed at first so the lobby stays the main thing.
 * `confirm(titleKey, vars, textKey, yesKey)` asks before revoking (the dashboard's dialog);
 * `changed()` is called when the room's appointments changed here (scheduled or revoked).
 */
export function scheduleArea(room, { confirm, changed = () => {} }) {
  counter += 1;
  const area = {
    n: counter, roomId: room.room_id, confirm, changed, visits: new Map(), nodes: new Map(),
    cursor: null, loaded: false, timer: null, fields: new Map(),
  };
  const summary = setText(el("summary"), "clin.sched.summary");
  area.details = el("details", { className: "schedule", children: [summary, buildForm(area), buildList(area)] });
  area.details.addEventListener("toggle", () => {
    if (area.details.open) load(area);
    else clearTimeout(area.timer);
  });
  areas.add(area);
  wireEmailDialog();
  renderArea(area);
  return area.details;
}

// --- the form -------------------------------------------------------------------------------

function fieldBox(area, name, labelKey, control, hintKey) {
  // The hint goes below the control, so that the controls of one row line up.
  const children = [setText(el("label", { attrs: { for: control.id } }), labelKey), control];
  const hint = hintKey ? setText(el("p", { className: "hint after", attrs: { id: `${control.id}-hint` } }), hintKey) : null;
  if (hint) {
    children.push(hint);
    control.setAttribute("aria-describedby", hint.id);
  }
  const error = el("p", { className: "error-text", attrs: { id: `${control.id}-error` } });
  error.hidden = true;
  children.push(error);
  area.fields.set(control, error);
  return el("div", { className: `field sched-${name}`, children });
}

/** Mark a field wrong (key) or right (no key), keeping its hint in aria-describedby. */
function fieldError(errors, control, key) {
  const error = errors.get(control);
  const described = new Set((control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
  if (key) {
    setText(error, key);
    described.add(error.id);
  } else {
    described.delete(error.id);
  }
  error.hidden = !key;
  control.setAttribute("aria-invalid", key ? "true" : "false");
  if (described.size) control.setAttribute("aria-describedby", [...described].join(" "));
  else control.removeAttribute("aria-describedby");
}

function languageSelect(id) {
  const select = el("select", { attrs: { id } });
  for (const [code, name] of INVITATION_LANGUAGES) select.append(el("option", { text: name, attrs: { value: code, lang: code } }));
  select.value = language() === "en" ? "en" : "nb";
  return select;
}

function buildForm(area) {
  const id = (name) => `sched-${area.n}-${name}`;
  area.role = el("select", { attrs: { id: id("role") } });
  area.date = el("input", { attrs: { id: id("date"), type: "date", required: true } });
  area.time = el("input", { attrs: { id: id("time"), type: "time", required: true } });
  area.length = el("input", { attrs: { id: id("length"), type: "number", min: "1", max: "1440", step: "1", value: "30", inputmode: "numeric", required: true } });
  area.email = el("input", { attrs: { id: id("email"), type: "email", autocomplete: "off", spellcheck: "false", maxlength: "254" } });
  area.language = languageSelect(id("language"));
  area.sendNow = el("input", { attrs: { id: id("send"), type: "checkbox", "aria-describedby": id("send-hint") } });
  area.sendHint = el("p", { className: "hint", attrs: { id: id("send-hint") } });
  area.email.addEventListener("input", () => renderSendNow(area));
  setDefaultTime(area);

  area.formError = el("div", { className: "notice bad", attrs: { role: "alert" } });
  area.formError.hidden = true;
  area.formDone = el("p", { className: "notice good" });
  area.formDone.hidden = true;
  area.submit = el("button", { className: "primary", attrs: { type: "submit" } });
  setText(area.submit, "clin.sched.submit");

  const title = setText(el("h3", { attrs: { id: id("new-title") } }), "clin.sched.new_title");
  const form = el("form", { className: "sched-form", attrs: { novalidate: true, "aria-labelledby": title.id }, children: [
    el("div", { className: "sched-grid", children: [
      fieldBox(area, "role", "clin.sched.role", area.role),
      fieldBox(area, "date", "clin.sched.date", area.date),
      fieldBox(area, "time", "clin.sched.time", area.time),
      fieldBox(area, "length", "clin.sched.length", area.length),
    ] }),
    el("div", { className: "sched-grid", children: [
      fieldBox(area, "email", "clin.sched.email", area.email, "clin.sched.email_hint"),
      fieldBox(area, "language", "clin.sched.language", area.language),
    ] }),
    el("div", { className: "field", children: [
      el("label", { className: "check", attrs: { for: area.sendNow.id }, children: [area.sendNow, setText(el("span"), "clin.sched.send_now")] }),
      area.sendHint,
    ] }),
    area.formError,
    el("div", { className: "actions", children: [area.submit] }),
    area.formDone,
  ] });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    schedule(area);
  });
  return el("div", { className: "sched-new", children: [title, form] });
}

function pad(number) {
  return String(Math.abs(number)).padStart(2, "0");
}

/** The next quarter of an hour, at least ten minutes from now, in the browser's time. */
function setDefaultTime(area) {
  const next = new Date(Date.now() + 10 * 60000);
  next.setMinutes(Math.ceil(next.getMinutes() / 15) * 15, 0, 0);
  area.date.value = `${next.getFullYear()}-${pad(next.getMonth() + 1)}-${pad(next.getDate())}`;
  area.time.value = `${pad(next.getHours())}:${pad(next.getMinutes())}`;
}

/** A local date and time as RFC 3339 with the browser's offset ("2026-12-08T10:30:00+01:00"). */
function rfc3339(date) {
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}:00${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

function renderSendNow(area) {
  const hasEmail = Boolean(area.email.value.trim());
  area.sendNow.disabled = emailUnavailable || !hasEmail;
  if (area.sendNow.disabled) area.sendNow.checked = false;
  setText(area.sendHint, emailUnavailable ? "clin.sched.send_now_unavailable" : "clin.sched.send_now_hint");
  area.sendHint.hidden = hasEmail && !emailUnavailable;
}

function checkForm(area) {
  const problems = [];
  if (!area.date.value) problems.push([area.date, "clin.sched.date_missing"]);
  if (!area.time.value) problems.push([area.time, "clin.sched.time_missing"]);
  const minutes = Number(area.length.value);
  if (!area.length.value || !Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    problems.push([area.length, "clin.sched.length_invalid"]);
  }
  const email = area.email.value.trim();
  if (email && !EMAIL_SHAPE.test(email)) problems.push([area.email, "clin.sched.email_invalid"]);
  return problems;
}

const FIELD_OF_ERROR = { appointment_in_past: "time", invalid_email: "email", no_recipient: "email" };

async function schedule(area) {
  for (const control of area.fields.keys()) fieldError(area.fields, control, null);
  area.formError.hidden = true;
  area.formDone.hidden = true;
  const problems = checkForm(area);
  for (const [control, key] of problems) fieldError(area.fields, control, key);
  if (problems.length) {
    problems[0][0].focus();
    return;
  }
  const email = area.email.value.trim();
  const body = {
    role: area.role.value,
    start: rfc3339(new Date(`${area.date.value}T${area.time.value}`)),
    duration_minutes: Number(area.length.value),
    language: area.language.value,
  };
  if (email) body.email = email;
  const sending = Boolean(email && area.sendNow.checked && !emailUnavailable);
  if (sending) body.send_email = true;
  area.submit.disabled = true;
  const answer = await api("POST", `/api/v1/rooms/${encodeURIComponent(area.roomId)}/visits`, body);
  area.submit.disabled = false;
  if (!answer.ok) {
    const code = problemCode(answer);
    if (code === "email_not_configured") {
      markEmailUnavailable();
      load(area); // the visit may have been made without its e-mail: the list tells
    }
    const field = FIELD_OF_ERROR[code] && area[FIELD_OF_ERROR[code]];
    if (field) fieldError(area.fields, field, `clin.sched.error.${code}`);
    area.formError.textContent = problemText(code);
    area.formError.hidden = false;
    (field || area.submit).focus();
    return;
  }
  const visit = answer.data;
  const outcome = sending ? sendOutcome(visit) : null;
  if (outcome === "not_configured") markEmailUnavailable();
  area.email.value = "";
  renderSendNow(area);
  const node = upsert(area, visit);
  node.fresh = true;
  updateItem(area, node);
  setText(area.formDone, outcome ? `clin.sched.scheduled_${outcome}` : "clin.sched.scheduled", { what: describe(visit) });
  area.formDone.hidden = false;
  announce(area.formDone.textContent);
  node.title.focus();
  scheduleRefresh(area);
  area.changed();
}

// --- errors ---------------------------------------------------------------------------------

function problemCode(answer) {
  if (answer.status === 0) return "network";
  const code = answer.data && answer.data.error;
  if (typeof code === "string" && code) return code;
  if (answer.status === 401) return "unauthenticated";
  if (answer.status === 404) return "not_found";
  return "internal";
}

function problemText(code) {
  const key = `clin.sched.error.${code}`;
  return hasText(key) ? t(key) : errorText(code);
}

function markEmailUnavailable() {
  if (emailUnavailable) return;
  emailUnavailable = true;
  for (const area of areas) renderArea(area);
}

// --- the list of invitations ---------------------------------------------------------------

function buildList(area) {
  const title = setText(el("h3", { attrs: { id: `sched-${area.n}-list-title` } }), "clin.sched.list_title");
  area.zoneHint = el("p", { className: "hint" });
  area.emailNote = el("p", { className: "notice warn", attrs: { id: `sched-${area.n}-email-note` } });
  area.emailNote.hidden = true;
  area.listStatus = el("p", { attrs: { role: "status" } });
  area.retry = el("button", { attrs: { type: "button" } });
  setText(area.retry, "clin.sched.retry");
  area.retry.hidden = true;
  area.retry.addEventListener("click", () => load(area));
  area.list = el("ul", { className: "invitations", attrs: { "aria-labelledby": title.id } });
  area.empty = setText(el("p", { className: "empty" }), "clin.sched.list_empty");
  area.empty.hidden = true;
  area.more = el("button", { attrs: { type: "button" } });
  setText(area.more, "clin.sched.more");
  area.more.hidden = true;
  area.more.addEventListener("click", () => load(area, { more: true }));
  return el("div", { className: "sched-list", children: [
    title, area.zoneHint, area.emailNote, area.listStatus, area.retry, area.list, area.empty, area.more,
  ] });
}

function visitsPath(area, cursor) {
  const from = new Date(Date.now() - LOOK_BACK_MS).toISOString();
  let path = `/api/v1/rooms/${encodeURIComponent(area.roomId)}/visits?from=${encodeURIComponent(from)}&limit=${PAGE_SIZE}`;
  if (cursor) path += `&cursor=${encodeURIComponent(cursor)}`;
  return path;
}

/** Read the room's visits (the first page, or the next with `more`) and show them. */
async function load(area, { more = false } = {}) {
  clearTimeout(area.timer);
  if (!area.details.isConnected) {
    areas.delete(area);
    return;
  }
  if (!area.loaded) setText(area.listStatus, "clin.sched.loading");
  const answer = await api("GET", visitsPath(area, more ? area.cursor : null));
  if (!answer.ok || !answer.data || !Array.isArray(answer.data.items)) {
    setText(area.listStatus, "clin.sched.load_failed", { error: problemText(problemCode(answer)) });
    area.retry.hidden = false;
    scheduleRefresh(area);
    return;
  }
  area.retry.hidden = true;
  area.listStatus.textContent = "";
  delete area.listStatus.dataset.i18n;
  const items = answer.data.items;
  if (!more) {
    // A refresh reads the first page again; visits shown from later pages stay.
    const last = items.length ? Date.parse(items[items.length - 1].start) : -Infinity;
    const beyond = answer.data.next_cursor ? [...area.visits.values()].filter((visit) => Date.parse(visit.start) > last) : [];
    area.visits = new Map([...items, ...beyond].map((visit) => [visit.visit_id, visit]));
    if (!area.loaded || !beyond.length) area.cursor = answer.data.next_cursor || null;
  } else {
    for (const visit of items) area.visits.set(visit.visit_id, visit);
    area.cursor = answer.data.next_cursor || null;
  }
  area.loaded = true;
  renderList(area);
  scheduleRefresh(area);
}

function sending(visit) {
  const delivery = visit.email && visit.email.delivery;
  return Boolean(delivery && (delivery.status === "queued" || delivery.status === "sending"));
}

/** Refresh while open: often while an e-mail is on its way, otherwise now and then. */
function scheduleRefresh(area) {
  clearTimeout(area.timer);
  if (!area.details.open || !area.details.isConnected) return;
  const busy = [...area.visits.values()].some(sending);
  area.timer = setTimeout(() => load(area), busy ? REFRESH_SENDING_MS : REFRESH_MS);
}

function byStart(a, b) {
  return (Date.parse(a.start) - Date.parse(b.start)) || String(a.visit_id).localeCompare(String(b.visit_id));
}

function upsert(area, visit) {
  area.visits.set(visit.visit_id, visit);
  renderList(area);
  return area.nodes.get(visit.visit_id);
}

function renderArea(area) {
  const role = area.role.value;
  clear(area.role);
  for (const code of ROLES) area.role.append(el("option", { text: capitalise(t(`role.${code}`)), attrs: { value: code } }));
  area.role.value = role || ROLES[0];
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  setText(area.zoneHint, "clin.sched.list_hint", { zone });
  setText(area.emailNote, "clin.sched.email_unavailable");
  area.emailNote.hidden = !emailUnavailable;
  renderSendNow(area);
  renderList(area);
}

/** Keep the list's items in step with `area.visits`, reusing nodes so focus stays. */
function renderList(area) {
  const visits = [...area.visits.values()].sort(byStart);
  for (const [id, node] of area.nodes) {
    if (!area.visits.has(id)) {
      node.item.remove();
      area.nodes.delete(id);
    }
  }
  visits.forEach((visit, index) => {
    let node = area.nodes.get(visit.visit_id);
    if (!node) {
      node = buildItem(area, visit);
      area.nodes.set(visit.visit_id, node);
    }
    node.visit = visit;
    updateItem(area, node);
    if (area.list.children[index] !== node.item) area.list.insertBefore(node.item, area.list.children[index] || null);
  });
  area.list.hidden = visits.length === 0;
  area.empty.hidden = !area.loaded || visits.length > 0;
  area.more.hidden = !area.cursor;
}

function button(key, className, onClick) {
  const element = el("button", { className, attrs: { type: "button" } });
  setText(element, key);
  element.addEventListener("click", onClick);
  return element;
}

function buildItem(area, visit) {
  counter += 1;
  const id = `invitation-${counter}`;
  const node = { id, visit, fresh: false };
  node.title = el("h4", { className: "invitation-title", attrs: { id: `${id}-title`, tabindex: "-1" } });
  node.badges = el("p", { className: "invitation-badges" });
  node.facts = el("dl", { className: "facts" });
  node.feedback = el("p", { className: "invitation-feedback" });
  node.feedback.hidden = true;
  node.linkInput = el("input", { attrs: { id: `${id}-link`, type: "text", readonly: true, spellcheck: "false", "aria-describedby": `${id}-link-hint` } });
  node.linkInput.addEventListener("focus", () => node.linkInput.select());
  node.linkBox = el("div", { className: "field link-box", children: [
    setText(el("label", { attrs: { for: node.linkInput.id } }), "clin.sched.link_label"),
    setText(el("p", { className: "hint", attrs: { id: `${id}-link-hint` } }), "clin.sched.copy_failed"),
    node.linkInput,
  ] });
  node.linkBox.hidden = true;
  node.copy = button("clin.sched.copy", "", () => copyLink(node));
  node.send = button("clin.sched.send", "", () => openEmailDialog(area, node));
  node.download = el("a", { className: "button", attrs: { download: true } });
  setText(node.download, "clin.sched.download");
  node.revoke = button("clin.sched.revoke", "", () => revoke(area, node));
  for (const control of [node.copy, node.send, node.download, node.revoke]) control.setAttribute("aria-describedby", node.title.id);
  node.actions = el("div", { className: "actions", children: [node.copy, node.send, node.download, node.revoke] });
  node.item = el("li", { className: "invitation", attrs: { "aria-labelledby": node.title.id }, children: [
    node.title, node.badges, node.facts, node.linkBox, node.actions, node.feedback,
  ] });
  return node;
}

function capitalise(text) {
  return text.charAt(0).toLocaleUpperCase(locale()) + text.slice(1);
}

const WHEN = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };

/** The appointment window in the browser's time zone: "Tue 8 Dec, 10:30 – 11:00". */
function when(visit) {
  const start = new Date(visit.start);
  const end = new Date(visit.end || Date.parse(visit.start) + (visit.duration_minutes || 0) * 60000);
  const format = new Intl.DateTimeFormat(locale(), WHEN);
  if (Number.isNaN(start.getTime())) return "";
  if (Number.isNaN(end.getTime()) || typeof format.formatRange !== "function") return format.format(start);
  return format.formatRange(start, end);
}

/** A moment such as a delivery time: the clock today, else with the day. */
function moment(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = date.toDateString() === new Date().toDateString();
  return new Intl.DateTimeFormat(locale(), today ? { hour: "2-digit", minute: "2-digit" } : WHEN).format(date);
}

function describe(visit) {
  return t("clin.sched.item_title", { role: t(`role.${visit.role}`), when: when(visit) });
}

/** How an e-mail just asked for went: sent, sending (or will retry), failed, not_configured. */
function sendOutcome(visit) {
  const delivery = visit.email && visit.email.delivery;
  if (!delivery) return "sending";
  if (delivery.error === "email_not_configured") return "not_configured";
  if (delivery.status === "sent") return "sent";
  if (delivery.status === "failed") return "failed";
  return "sending";
}

function deliveryText(visit) {
  const delivery = visit.email && visit.email.delivery;
  if (!delivery) return t("clin.sched.delivery.none");
  if (delivery.error === "email_not_configured") return t("clin.sched.delivery.not_configured");
  if (delivery.status === "sent") return t("clin.sched.delivery.sent", { time: moment(delivery.updated) });
  const retrying = delivery.status === "failed" || delivery.attempts > 0;
  if (delivery.next_attempt && retrying) return t("clin.sched.delivery.retry", { time: moment(delivery.next_attempt) });
  if (delivery.status === "failed") return t("clin.sched.delivery.failed");
  return t("clin.sched.delivery.sending");
}

function fact(dl, termKey, text, className) {
  dl.append(setText(el("dt"), termKey), el("dd", { text, className }));
}

const STATUS_BADGE = { scheduled: "badge info", revoked: "badge warn", expired: "badge" };

function updateItem(area, node) {
  const visit = node.visit;
  const status = STATUS_BADGE[visit.status] ? visit.status : "scheduled";
  node.title.textContent = t("clin.sched.item_title", { role: capitalise(t(`role.${visit.role}`)), when: when(visit) });
  clear(node.badges);
  node.badges.append(setText(el("span", { className: STATUS_BADGE[status] }), `clin.sched.status.${status}`));
  if (node.fresh) node.badges.append(" ", setText(el("span", { className: "badge ok" }), "clin.sched.new_badge"));
  clear(node.facts);
  const address = visit.email && visit.email.address;
  fact(node.facts, "clin.sched.email_label", address || t("clin.sched.no_email"));
  const delivery = visit.email && visit.email.delivery;
  fact(node.facts, "clin.sched.delivery_label", deliveryText(visit), delivery && delivery.status === "failed" && !delivery.next_attempt ? "status-bad" : undefined);

  const open = status === "scheduled";
  const link = visit.invitation && visit.invitation.link;
  node.actions.hidden = !open;
  node.copy.hidden = !link;
  if (!open || !link) node.linkBox.hidden = true;
  const tried = Boolean(delivery && (delivery.status === "sent" || delivery.attempts > 0));
  setText(node.send, tried ? "clin.sched.send_again" : "clin.sched.send");
  node.send.disabled = emailUnavailable;
  const described = [node.title.id];
  if (emailUnavailable) described.push(area.emailNote.id);
  node.send.setAttribute("aria-describedby", described.join(" "));
  node.download.href = `/api/v1/visits/${encodeURIComponent(visit.visit_id)}/invitation.ics`;
  node.item.classList.toggle("is-closed", !open);
}

function say(node, key, vars) {
  setText(node.feedback, key, vars);
  node.feedback.hidden = false;
  announce(node.feedback.textContent);
}

function sayProblem(node, code) {
  node.feedback.textContent = problemText(code);
  delete node.feedback.dataset.i18n;
  node.feedback.hidden = false;
  announce(node.feedback.textContent);
}

// --- actions ------------------------------------------------------------------------------------

async function copyLink(node) {
  const link = node.visit.invitation && node.visit.invitation.link;
  if (!link) return;
  try {
    await navigator.clipboard.writeText(link);
    node.linkBox.hidden = true;
    say(node, "clin.sched.copied");
  } catch {
    // No clipboard here (permission, insecure page): show the link to copy by hand.
    node.linkInput.value = link;
    node.linkBox.hidden = false;
    node.feedback.hidden = true;
    node.linkInput.focus();
    announce(t("clin.sched.copy_failed"));
  }
}

async function revoke(area, node) {
  const what = describe(node.visit);
  const yes = await area.confirm("clin.sched.confirm_revoke_title", { what }, "clin.sched.confirm_revoke_text", "clin.sched.revoke");
  if (!yes) return;
  const answer = await api("POST", `/api/v1/visits/${encodeURIComponent(node.visit.visit_id)}/revoke`, {});
  if (!answer.ok) {
    const code = problemCode(answer);
    sayProblem(node, code);
    if (code === "revoked" || code === "expired" || code === "not_found") load(area);
    return;
  }
  upsert(area, answer.data);
  node.title.focus();
  say(node, "clin.sched.revoked_done");
  area.changed();
}

// --- the e-mail dialog (one for the page) --------------------------------------------------------

let dialogWired = false;

function wireEmailDialog() {
  if (dialogWired) return;
  dialogWired = true;
  const dialog = byId("email-dialog");
  byId("email-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendEmail();
  });
  byId("email-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    const target = emailTarget;
    emailTarget = null;
    if (!target) return;
    const { node } = target;
    (node.send.isConnected && !node.send.disabled && !node.actions.hidden ? node.send : node.title).focus();
  });
}

function openEmailDialog(area, node) {
  if (emailUnavailable) return;
  emailTarget = { area, node };
  const visit = node.visit;
  const input = byId("email-address");
  const errors = new Map([[input, byId("email-address-error")]]);
  fieldError(errors, input, null);
  byId("email-error").hidden = true;
  input.value = (visit.email && visit.email.address) || "";
  const select = byId("email-language");
  select.value = (visit.email && visit.email.language) || "nb";
  byId("email-what").textContent = describe(visit);
  byId("email-send").disabled = false;
  byId("email-dialog").showModal();
  (input.value ? byId("email-send") : input).focus();
}

async function sendEmail() {
  if (!emailTarget) return;
  const { area, node } = emailTarget;
  const input = byId("email-address");
  const errors = new Map([[input, byId("email-address-error")]]);
  const problem = byId("email-error");
  problem.hidden = true;
  const address = input.value.trim();
  const wrong = !address ? "clin.sched.email_missing" : EMAIL_SHAPE.test(address) ? null : "clin.sched.email_invalid";
  fieldError(errors, input, wrong);
  if (wrong) {
    input.focus();
    return;
  }
  const send = byId("email-send");
  send.disabled = true;
  const body = { email: address, language: byId("email-language").value };
  const answer = await api("POST", `/api/v1/visits/${encodeURIComponent(node.visit.visit_id)}/email`, body);
  send.disabled = false;
  if (answer.ok) {
    const outcome = sendOutcome(answer.data);
    if (outcome === "not_configured") markEmailUnavailable();
    byId("email-dialog").close();
    upsert(area, answer.data);
    say(node, `clin.sched.email_${outcome}`, { address });
    scheduleRefresh(area);
    return;
  }
  const code = problemCode(answer);
  if (code === "invalid_email" || code === "no_recipient") {
    fieldError(errors, input, `clin.sched.error.${code}`);
    input.focus();
    return;
  }
  if (code === "email_not_configured" || code === "revoked" || code === "expired" || code === "not_found") {
    byId("email-dialog").close();
    if (code === "email_not_configured") markEmailUnavailable();
    else load(area);
    sayProblem(node, code);
    return;
  }
  problem.textContent = problemText(code);
  problem.hidden = false;
  send.focus();
}

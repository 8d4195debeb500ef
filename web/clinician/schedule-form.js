// A room's form to schedule a visit: role, date and time (the browser's), length, and an
// optional e-mail address to send the invitation to now.

import { language, setText } from "/common/i18n.js";
import { announce, el } from "/common/dom.js";
import { api } from "/common/api.js";
import { fieldError } from "/clinician/ui.js";
import { emailUnavailable, markEmailUnavailable } from "/clinician/sched-shared.js";
import { describe, problemCode, problemText, sendOutcome } from "/clinician/sched-text.js";
import { looksLikeEmail } from "/clinician/email-dialog.js";
import { load, renderItem, scheduleRefresh, upsert } from "/clinician/invitations.js";

const INVITATION_LANGUAGES = [["nb", "Norsk (bokmål)"], ["en", "English"]];
const FIELD_OF_ERROR = { appointment_in_past: "time", invalid_email: "email", no_recipient: "email" };

export function buildForm(area) {
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
  const form = el("form", { className: "sched-form", attrs: { novalidate: true, "aria-labelledby": title.id }, children: formRows(area) });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    schedule(area);
  });
  return el("div", { className: "sched-new", children: [title, form] });
}

function formRows(area) {
  return [
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
  ];
}

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

function languageSelect(id) {
  const select = el("select", { attrs: { id } });
  for (const [code, name] of INVITATION_LANGUAGES) select.append(el("option", { text: name, attrs: { value: code, lang: code } }));
  select.value = language() === "en" ? "en" : "nb";
  return select;
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

export function renderSendNow(area) {
  const hasEmail = Boolean(area.email.value.trim());
  area.sendNow.disabled = emailUnavailable() || !hasEmail;
  if (area.sendNow.disabled) area.sendNow.checked = false;
  setText(area.sendHint, emailUnavailable() ? "clin.sched.send_now_unavailable" : "clin.sched.send_now_hint");
  area.sendHint.hidden = hasEmail && !emailUnavailable();
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
  if (email && !looksLikeEmail(email)) problems.push([area.email, "clin.sched.email_invalid"]);
  return problems;
}

function requestBody(area) {
  const email = area.email.value.trim();
  const body = {
    role: area.role.value,
    start: rfc3339(new Date(`${area.date.value}T${area.time.value}`)),
    duration_minutes: Number(area.length.value),
    language: area.language.value,
  };
  if (email) body.email = email;
  if (email && area.sendNow.checked && !emailUnavailable()) body.send_email = true;
  return body;
}

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
  const body = requestBody(area);
  area.submit.disabled = true;
  const answer = await api("POST", `/api/v1/rooms/${encodeURIComponent(area.roomId)}/visits`, body);
  area.submit.disabled = false;
  if (answer.ok) scheduled(area, answer.data, Boolean(body.send_email));
  else refused(area, problemCode(answer));
}

function refused(area, code) {
  if (code === "email_not_configured") {
    markEmailUnavailable();
    load(area); // the visit may have been made without its e-mail: the list tells
  }
  const field = FIELD_OF_ERROR[code] && area[FIELD_OF_ERROR[code]];
  if (field) fieldError(area.fields, field, `clin.sched.error.${code}`);
  area.formError.textContent = problemText(code);
  area.formError.hidden = false;
  (field || area.submit).focus();
}

function scheduled(area, visit, sending) {
  const outcome = sending ? sendOutcome(visit) : null;
  if (outcome === "not_configured") markEmailUnavailable();
  area.email.value = "";
  renderSendNow(area);
  const node = upsert(area, visit);
  node.fresh = true;
  renderItem(area, node);
  setText(area.formDone, outcome ? `clin.sched.scheduled_${outcome}` : "clin.sched.scheduled", { what: describe(visit) });
  area.formDone.hidden = false;
  announce(area.formDone.textContent);
  node.title.focus();
  scheduleRefresh(area);
  area.changed();
}

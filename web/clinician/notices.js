// A room's notice form: a fixed notice to everyone waiting ("running about N minutes late", …).

import { setText, t } from "/common/i18n.js";
import { clear, el, errorText } from "/common/dom.js";
import { send } from "/clinician/link.js";
import { field, report } from "/clinician/ui.js";

const NOTICE_CODES = ["running_late", "ready_soon", "technical_delay", "clear"];

export function buildNoticeForm(room) {
  const n = room.n;
  const part = {};
  part.code = el("select", { attrs: { id: `notice-code-${n}` } });
  part.minutes = el("input", { attrs: { id: `notice-minutes-${n}`, type: "number", min: "5", max: "120", step: "5", value: "10", inputmode: "numeric" } });
  part.minutesField = field("clin.notice_minutes", part.minutes, "field minutes");
  part.code.addEventListener("change", () => {
    part.minutesField.hidden = part.code.value !== "running_late";
  });
  part.form = el("form", { className: "notice-form", children: [
    field("clin.notice_label", part.code), part.minutesField,
    el("button", { attrs: { type: "submit" } }),
  ] });
  setText(part.form.querySelector("button"), "clin.send_notice");
  part.form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendNotice(room, part);
  });
  return part;
}

/** The notice choices are built texts: rebuild them (keeping the choice) after a language switch. */
export function renderNoticeForm(part) {
  const chosen = part.code.value;
  clear(part.code);
  for (const code of NOTICE_CODES) part.code.append(el("option", { text: t(`clin.notice.${code}`), attrs: { value: code } }));
  part.code.value = chosen || NOTICE_CODES[0];
  part.minutesField.hidden = part.code.value !== "running_late";
}

async function sendNotice(room, part) {
  const code = part.code.value;
  const payload = { room_id: room.id, code };
  if (code === "running_late") {
    const minutes = Number.parseInt(part.minutes.value, 10);
    if (!Number.isInteger(minutes) || minutes < 5 || minutes > 120) {
      report(room, "clin.minutes_invalid");
      part.minutes.focus();
      return;
    }
    payload.minutes = minutes;
  }
  const ack = await send("notice", payload);
  if (!ack.ok) report(room, "clin.action_failed", { error: errorText(ack.error) });
  else report(room, code === "clear" ? "clin.notice_cleared" : "clin.notice_sent", { notice: t(`clin.notice.${code}`) });
}

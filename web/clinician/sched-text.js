// Words for scheduled visits: the appointment window, delivery of the e-mail, and errors of the
// integration API, in the browser's time zone and the page's language.

import { hasText, locale, t } from "/common/i18n.js";
import { errorText } from "/common/dom.js";

const WHEN = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };

/** The appointment window in the browser's time zone: "Tue 8 Dec, 10:30 – 11:00". */
export function when(visit) {
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

export function describe(visit) {
  return t("clin.sched.item_title", { role: t(`role.${visit.role}`), when: when(visit) });
}

/** How an e-mail just asked for went: sent, sending (or will retry), failed, not_configured. */
export function sendOutcome(visit) {
  const delivery = visit.email && visit.email.delivery;
  if (!delivery) return "sending";
  if (delivery.error === "email_not_configured") return "not_configured";
  if (delivery.status === "sent") return "sent";
  if (delivery.status === "failed") return "failed";
  return "sending";
}

export function deliveryText(visit) {
  const delivery = visit.email && visit.email.delivery;
  if (!delivery) return t("clin.sched.delivery.none");
  if (delivery.error === "email_not_configured") return t("clin.sched.delivery.not_configured");
  if (delivery.status === "sent") return t("clin.sched.delivery.sent", { time: moment(delivery.updated) });
  const retrying = delivery.status === "failed" || delivery.attempts > 0;
  if (delivery.next_attempt && retrying) return t("clin.sched.delivery.retry", { time: moment(delivery.next_attempt) });
  if (delivery.status === "failed") return t("clin.sched.delivery.failed");
  return t("clin.sched.delivery.sending");
}

/** The API's error code of a failed answer (network, unauthenticated, not_found, internal, …). */
export function problemCode(answer) {
  if (answer.status === 0) return "network";
  const code = answer.data && answer.data.error;
  if (typeof code === "string" && code) return code;
  if (answer.status === 401) return "unauthenticated";
  if (answer.status === 404) return "not_found";
  return "internal";
}

export function problemText(code) {
  const key = `clin.sched.error.${code}`;
  return hasText(key) ? t(key) : errorText(code);
}

// A room's lobby: the guests waiting, with their facts and the admission actions, and the
// chime and notification when someone arrives.

import { formatClock, setText, t } from "/common/i18n.js";
import { announce, clear, el } from "/common/dom.js";
import * as media from "/common/media.js";
import { admitAll, deny, visitAction } from "/clinician/actions.js";
import { button, nextId, fact, field, nameOf, syncList, waitedSpan } from "/clinician/ui.js";

const DENY_REASONS = ["wrong_room", "not_expected", "reschedule", "contact_clinic"];
const LATE_AFTER_S = 300;

/** Build room's lobby list; returns its parts, the ids of who waits, and whether it is new. */
export function buildLobby(room) {
  const n = room.n;
  const part = { entries: new Map(), waitingIds: new Set(), first: true };
  part.admitAll = button("clin.admit_all", "", () => admitAll(room));
  part.title = el("h3", { attrs: { id: `room-${n}-waiting`, tabindex: "-1" } });
  part.list = el("ul", { className: "lobby", attrs: { "aria-labelledby": `room-${n}-waiting` } });
  part.empty = el("p", { className: "empty" });
  setText(part.empty, "clin.nobody_waiting");
  return part;
}

/** Take the room's waiting guests; chime for those who arrived since the last update. */
export function noteArrivals(room, waiting) {
  const part = room.lobby;
  const arrived = waiting.filter((visit) => !part.waitingIds.has(visit.visit_id));
  if (!part.first && arrived.length) arrival(room, arrived);
  part.first = false;
  part.waitingIds = new Set(waiting.map((visit) => visit.visit_id));
}

export function renderLobby(room, waiting) {
  const part = room.lobby;
  setText(part.title, "clin.waiting_count", { count: waiting.length });
  part.empty.hidden = waiting.length > 0;
  part.admitAll.hidden = waiting.length < 2;
  syncList(part.list, part.entries, waiting, (visit) => buildEntry(room, visit), updateEntry);
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

function buildEntry(room, visit) {
  const id = nextId("entry");
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

function updateEntry(node) {
  const visit = node.visit;
  node.name.textContent = nameOf(visit);
  setText(node.identity, visit.identity_checked ? "clin.identity_ok" : "clin.unverified");
  node.identity.className = visit.identity_checked ? "badge ok" : "badge warn";
  node.reconnecting.hidden = !visit.reconnecting;
  setText(node.reconnecting, "clin.reconnecting");
  node.item.classList.toggle("reconnecting", Boolean(visit.reconnecting));
  renderFacts(node.facts, visit);
  node.check.hidden = Boolean(visit.identity_checked);
  const reason = node.reason.value;
  clear(node.reason);
  for (const code of DENY_REASONS) node.reason.append(el("option", { text: t(`clin.deny_reason.${code}`), attrs: { value: code } }));
  node.reason.value = reason || DENY_REASONS[0];
}

function renderFacts(facts, visit) {
  clear(facts);
  fact(facts, "clin.role", t(`role.${visit.role}`));
  fact(facts, "clin.present", visit.present && visit.present.length ? visit.present.join(", ") : t("clin.alone"));
  const check = fact(facts, "clin.device_check", t(`device.${visit.device_check || "unknown"}`));
  if (visit.device_check === "failed" || visit.device_check === "warnings") check.className = "status-warn";
  if (visit.waiting_since) fact(facts, "clin.waited", waitedSpan(visit.waiting_since));
  if (visit.appointment_start) {
    const late = Date.now() / 1000 > visit.appointment_start + LATE_AFTER_S;
    fact(facts, "clin.appointment", formatClock(visit.appointment_start), late ? "late" : undefined);
  }
}

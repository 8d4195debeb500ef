// A room's expected guests: scheduled visits that have not joined yet. No name is known, only
// the appointment time, the role and how far they got; past their time they stand out.

import { formatClock, setText, t } from "/common/i18n.js";
import { el } from "/common/dom.js";
import { capitalise, syncList } from "/clinician/ui.js";

export function buildExpected(n) {
  const part = { visits: [], nodes: new Map() };
  part.title = el("h3", { attrs: { id: `room-${n}-expected` } });
  part.list = el("ul", { className: "expected", attrs: { "aria-labelledby": part.title.id } });
  part.empty = el("p", { className: "empty" });
  setText(part.empty, "clin.nobody_expected");
  part.area = el("div", { className: "expected-area", children: [part.title, part.list, part.empty] });
  return part;
}

/** Take the expected visits from a lobby update, in appointment order. */
export function setExpected(part, visits) {
  part.visits = [...visits].sort((a, b) => (a.appointment_start - b.appointment_start) || String(a.visit_id).localeCompare(String(b.visit_id)));
}

export function renderExpected(part) {
  const count = part.visits.length;
  setText(part.title, "clin.expected_count", { count });
  part.list.hidden = count === 0;
  part.empty.hidden = count > 0;
  syncList(part.list, part.nodes, part.visits, buildItem, updateItem);
}

/** An appointment time can pass while the page is open, with no lobby event to tell us. */
export function tickExpected(part) {
  for (const node of part.nodes.values()) if (node.late !== isLate(node.visit)) updateItem(node);
}

/** Past the appointment time and still not in the waiting room. */
function isLate(visit) {
  return Date.now() / 1000 > visit.appointment_start;
}

function buildItem(visit) {
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

function updateItem(node) {
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

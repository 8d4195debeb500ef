// Who is in a room's call, with the clinician's acts on each: pause or resume, mark identity
// as checked, send back to the waiting room, move to phone.

import { setText, t } from "/common/i18n.js";
import { clear, el } from "/common/dom.js";
import { moveToPhone, visitAction } from "/clinician/actions.js";
import { button, nextId, nameOf, syncList } from "/clinician/ui.js";

export function renderParticipants(room, inCall) {
  const part = room.call;
  syncList(part.participantList, part.participants, inCall, (visit) => buildParticipant(room, visit), updateParticipant);
}

function buildParticipant(room, visit) {
  const id = nextId("participant");
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

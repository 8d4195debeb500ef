// The clinician's acts on visits: admit, admit all, deny, check identity, pause and resume,
// send back, move to phone, end. Each is one socket request; the room's status line says how
// it went, and the lobby feed that follows shows the result.

import { t } from "/common/i18n.js";
import { errorText } from "/common/dom.js";
import { send } from "/clinician/link.js";
import { confirmDialog } from "/clinician/dialog.js";
import { expectEnd, forgetEnd } from "/clinician/departures.js";
import { focusCallLater, focusCallSoon } from "/clinician/consultation.js";
import { nameOf, report } from "/clinician/ui.js";

const ENDING = ["end", "move_to_phone", "remove"];

/** Do `action` to the visit shown in `node` (an entry in the lobby or the call). */
export async function visitAction(room, node, action) {
  const name = nameOf(node.visit);
  if (ENDING.includes(action)) expectEnd(node.visit.visit_id);
  const ack = await send(action, { visit_id: node.visit.visit_id });
  if (!ack.ok) {
    forgetEnd(node.visit.visit_id);
    report(room, "clin.action_failed", { error: errorText(ack.error) });
    return;
  }
  report(room, `clin.done.${action}`, { name });
  if (action === "admit") focusCallSoon(room);
  if (action === "send_back") room.lobby.title.focus();
}

export async function admitAll(room) {
  const ack = await send("admit_all", { room_id: room.id });
  if (!ack.ok) report(room, "clin.action_failed", { error: errorText(ack.error) });
  else {
    report(room, "clin.done.admit_all", { count: ack.admitted.length });
    focusCallLater(room);
  }
}

export async function deny(room, node) {
  const reason = node.reason.value;
  const yes = await confirmDialog("clin.confirm_deny_title", { name: nameOf(node.visit) }, `clin.deny_reason.${reason}`, "clin.deny");
  if (!yes) return;
  const ack = await send("deny", { visit_id: node.visit.visit_id, reason });
  if (!ack.ok) report(room, "clin.action_failed", { error: errorText(ack.error) });
  else {
    report(room, "clin.done.deny", { name: nameOf(node.visit) });
    room.lobby.title.focus();
  }
}

export async function moveToPhone(room, node) {
  const yes = await confirmDialog("clin.confirm_phone_title", { name: nameOf(node.visit) }, "clin.confirm_phone_text", "clin.move_to_phone");
  if (yes) await visitAction(room, node, "move_to_phone");
}

/** End the consultation for everyone in the room's call. */
export async function endConsultation(room) {
  const yes = await confirmDialog("clin.confirm_end_title", {}, "clin.confirm_end_text", "clin.end");
  if (!yes) return;
  for (const visit of room.inCall.values()) {
    expectEnd(visit.visit_id);
    const ack = await send("end", { visit_id: visit.visit_id });
    if (!ack.ok) {
      forgetEnd(visit.visit_id);
      report(room, "clin.action_failed", { error: errorText(ack.error) });
    }
  }
  room.call.lastDeparture = t("clin.you_ended");
}

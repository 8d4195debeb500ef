// Who left a room's call: a guest the clinician ended, moved to phone or removed left as
// expected; anyone else leaving is written in the call's log and said aloud.

import { t } from "/common/i18n.js";
import { announce } from "/common/dom.js";
import { addTechLine } from "/clinician/call-area.js";

const expectedEnds = new Set();

/** The clinician is about to end this visit: its leaving needs no message. */
export function expectEnd(visitId) {
  expectedEnds.add(visitId);
}

/** The end was refused: if the visit leaves after all, say so. */
export function forgetEnd(visitId) {
  expectedEnds.delete(visitId);
}

/** Compare the room's call before (`room.inCall`) with `inCall` now; `waitingIds` were sent back. */
export function noteDepartures(room, inCall, waitingIds) {
  for (const [id, before] of room.inCall) {
    if (inCall.has(id) || waitingIds.has(id)) continue;
    if (expectedEnds.delete(id)) continue;
    const line = t("clin.left_call", { name: before.display_name || t(`role.${before.role}`) });
    room.call.lastDeparture = line;
    addTechLine(room.call, line);
    announce(line);
  }
}

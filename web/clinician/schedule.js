// Scheduling on the clinician's dashboard: per room, one disclosure to schedule a visit
// (schedule-form.js) and to manage its invitations (invitations.js, email-dialog.js).
// Talks to the integration API under /api/v1 with the dashboard's session cookie.

import { onLanguageChange, setText, t } from "/common/i18n.js";
import { clear, el } from "/common/dom.js";
import { capitalise } from "/clinician/ui.js";
import { emailUnavailable, nextNumber, onEmailUnavailable } from "/clinician/sched-shared.js";
import { buildForm, renderSendNow } from "/clinician/schedule-form.js";
import { buildList, load, renderList } from "/clinician/invitations.js";
import { wireEmailDialog } from "/clinician/email-dialog.js";

const ROLES = ["patient", "companion", "interpreter"];

const areas = new Set();

const renderAll = () => {
  for (const area of areas) renderArea(area);
};
onLanguageChange(renderAll);
onEmailUnavailable(renderAll);

/**
 * The room's scheduling disclosure, closed at first so the lobby stays the main thing.
 * `confirm(titleKey, vars, textKey, yesKey)` asks before revoking (the dashboard's dialog);
 * `changed()` is called when the room's appointments changed here (scheduled or revoked).
 */
export function scheduleArea(room, { confirm, changed = () => {} }) {
  const area = {
    n: nextNumber(), roomId: room.room_id, confirm, changed, visits: new Map(), nodes: new Map(),
    cursor: null, loaded: false, timer: null, fields: new Map(),
    dispose: () => areas.delete(area),
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

function renderArea(area) {
  const role = area.role.value;
  clear(area.role);
  for (const code of ROLES) area.role.append(el("option", { text: capitalise(t(`role.${code}`)), attrs: { value: code } }));
  area.role.value = role || ROLES[0];
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  setText(area.zoneHint, "clin.sched.list_hint", { zone });
  setText(area.emailNote, "clin.sched.email_unavailable");
  area.emailNote.hidden = !emailUnavailable();
  renderSendNow(area);
  renderList(area);
}

// The screens at the end of the way: the visit ended (and why), or a link that does not work.

import { hasText, setText } from "/common/i18n.js";
import { byId } from "/common/dom.js";
import { go } from "/guest/screens.js";

export function wireLinkError() {
  byId("retry-link").addEventListener("click", () => location.reload());
}

/** Say why the link or session does not work (a `link.<kind>` text) and what to do. */
export function showLinkError(kind) {
  setText(byId("link-error-title"), `link.${kind}.title`);
  setText(byId("link-error-text"), `link.${kind}.text`);
  // A cancelled invitation or a closed room will not start working: no "if it still does not work".
  setText(byId("link-error-contact"), kind === "revoked" || kind === "room_closed" ? "link.contact_clinic" : "link.contact");
  byId("link-error-contact").hidden = kind === "replaced";
  byId("retry-link").hidden = kind !== "network";
  go("link-error", true);
}

/** The visit is over: say why, close any dialog, and hang up the socket for good. */
export function enterEnded(visit, socket) {
  const reason = visit.end_reason && hasText(`ended.${visit.end_reason}.title`) ? visit.end_reason : "completed";
  setText(byId("ended-title"), `ended.${reason}.title`);
  setText(byId("ended-text"), `ended.${reason}.text`);
  const detail = byId("ended-detail");
  if (reason === "denied" && visit.detail) {
    setText(detail, `deny.${visit.detail}`);
    detail.hidden = false;
  } else {
    detail.hidden = true;
  }
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  go("ended");
  if (socket) {
    socket.disconnect();
    byId("connection-banner").hidden = true;
  }
}

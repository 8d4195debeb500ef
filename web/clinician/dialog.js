// The page's one confirmation dialog, for acts that cannot be undone (deny, end, revoke, …).

import { setText } from "/common/i18n.js";
import { byId } from "/common/dom.js";

export function wireConfirmDialog() {
  byId("confirm-no").addEventListener("click", () => byId("confirm-dialog").close("no"));
  byId("confirm-yes").addEventListener("click", () => byId("confirm-dialog").close("yes"));
}

/** Ask; resolves true when the clinician chose the act (`yesKey`), false on cancel or Escape. */
export function confirmDialog(titleKey, vars, textKey, yesKey) {
  const dialog = byId("confirm-dialog");
  setText(byId("confirm-title"), titleKey, vars);
  setText(byId("confirm-text"), textKey);
  setText(byId("confirm-yes"), yesKey);
  dialog.returnValue = "";
  dialog.showModal();
  byId("confirm-no").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
  });
}

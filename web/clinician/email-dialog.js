// The page's one e-mail dialog: send (or send again) an invitation to an address, in a language.

import { byId } from "/common/dom.js";
import { api } from "/common/api.js";
import { fieldError } from "/clinician/ui.js";
import { say, sayProblem } from "/clinician/invitation-item.js";
import { emailUnavailable, markEmailUnavailable } from "/clinician/sched-shared.js";
import { describe, problemCode, problemText, sendOutcome } from "/clinician/sched-text.js";

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;
const GONE = new Set(["email_not_configured", "revoked", "expired", "not_found"]);

let wired = false;
let target = null;

/** Whether `address` looks like an e-mail address (the server checks it properly). */
export function looksLikeEmail(address) {
  return EMAIL_SHAPE.test(address);
}

/** Wire the dialog's buttons (once for the page, however many rooms ask). */
export function wireEmailDialog() {
  if (wired) return;
  wired = true;
  const dialog = byId("email-dialog");
  byId("email-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendEmail();
  });
  byId("email-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    const closed = target;
    target = null;
    if (!closed) return;
    const { node } = closed;
    (node.send.isConnected && !node.send.disabled && !node.actions.hidden ? node.send : node.title).focus();
  });
}

function addressErrors() {
  return new Map([[byId("email-address"), byId("email-address-error")]]);
}

/**
 * Ask where to send `node`'s invitation. `then.sent(visit)` takes the visit as the server
 * now has it, `then.refresh()` follows its delivery, `then.reload()` reads the list again.
 */
export function openEmailDialog(node, then) {
  if (emailUnavailable()) return;
  target = { node, then };
  const visit = node.visit;
  const input = byId("email-address");
  fieldError(addressErrors(), input, null);
  byId("email-error").hidden = true;
  input.value = (visit.email && visit.email.address) || "";
  byId("email-language").value = (visit.email && visit.email.language) || "nb";
  byId("email-what").textContent = describe(visit);
  byId("email-send").disabled = false;
  byId("email-dialog").showModal();
  (input.value ? byId("email-send") : input).focus();
}

async function sendEmail() {
  if (!target) return;
  const { node, then } = target;
  const input = byId("email-address");
  byId("email-error").hidden = true;
  const address = input.value.trim();
  const wrong = !address ? "clin.sched.email_missing" : looksLikeEmail(address) ? null : "clin.sched.email_invalid";
  fieldError(addressErrors(), input, wrong);
  if (wrong) {
    input.focus();
    return;
  }
  const send = byId("email-send");
  send.disabled = true;
  const body = { email: address, language: byId("email-language").value };
  const answer = await api("POST", `/api/v1/visits/${encodeURIComponent(node.visit.visit_id)}/email`, body);
  send.disabled = false;
  if (answer.ok) sent(node, then, answer.data, address);
  else refused(node, then, problemCode(answer));
}

function sent(node, then, visit, address) {
  const outcome = sendOutcome(visit);
  if (outcome === "not_configured") markEmailUnavailable();
  byId("email-dialog").close();
  then.sent(visit);
  say(node, `clin.sched.email_${outcome}`, { address });
  then.refresh();
}

function refused(node, then, code) {
  const input = byId("email-address");
  if (code === "invalid_email" || code === "no_recipient") {
    fieldError(addressErrors(), input, `clin.sched.error.${code}`);
    input.focus();
    return;
  }
  if (GONE.has(code)) {
    byId("email-dialog").close();
    if (code === "email_not_configured") markEmailUnavailable();
    else then.reload();
    sayProblem(node, code);
    return;
  }
  const problem = byId("email-error");
  problem.textContent = problemText(code);
  problem.hidden = false;
  byId("email-send").focus();
}

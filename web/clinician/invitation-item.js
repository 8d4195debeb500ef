// One scheduled visit in a room's list: its window, status and e-mail delivery, and the acts
// on its invitation (copy the link, send the e-mail, calendar file, revoke).

import { setText, t } from "/common/i18n.js";
import { announce, clear, el } from "/common/dom.js";
import { button, capitalise, fact } from "/clinician/ui.js";
import { emailUnavailable, nextNumber } from "/clinician/sched-shared.js";
import { deliveryText, problemText, when } from "/clinician/sched-text.js";

const STATUS_BADGE = { scheduled: "badge info", revoked: "badge warn", expired: "badge" };

/** Build an item; `on.send(node)` and `on.revoke(node)` are its e-mail and revoke acts. */
export function buildItem(visit, on) {
  const id = `invitation-${nextNumber()}`;
  const node = { id, visit, fresh: false };
  node.title = el("h4", { className: "invitation-title", attrs: { id: `${id}-title`, tabindex: "-1" } });
  node.badges = el("p", { className: "invitation-badges" });
  node.facts = el("dl", { className: "facts" });
  node.feedback = el("p", { className: "invitation-feedback" });
  node.feedback.hidden = true;
  node.linkInput = el("input", { attrs: { id: `${id}-link`, type: "text", readonly: true, spellcheck: "false", "aria-describedby": `${id}-link-hint` } });
  node.linkInput.addEventListener("focus", () => node.linkInput.select());
  node.linkBox = el("div", { className: "field link-box", children: [
    setText(el("label", { attrs: { for: node.linkInput.id } }), "clin.sched.link_label"),
    setText(el("p", { className: "hint", attrs: { id: `${id}-link-hint` } }), "clin.sched.copy_failed"),
    node.linkInput,
  ] });
  node.linkBox.hidden = true;
  node.copy = button("clin.sched.copy", "", () => copyLink(node));
  node.send = button("clin.sched.send", "", () => on.send(node));
  node.download = el("a", { className: "button", attrs: { download: true } });
  setText(node.download, "clin.sched.download");
  node.revoke = button("clin.sched.revoke", "", () => on.revoke(node));
  for (const control of [node.copy, node.send, node.download, node.revoke]) control.setAttribute("aria-describedby", node.title.id);
  node.actions = el("div", { className: "actions", children: [node.copy, node.send, node.download, node.revoke] });
  node.item = el("li", { className: "invitation", attrs: { "aria-labelledby": node.title.id }, children: [
    node.title, node.badges, node.facts, node.linkBox, node.actions, node.feedback,
  ] });
  return node;
}

/** Show the item's visit; `emailNote` explains a disabled send button. */
export function updateItem(node, emailNote) {
  const visit = node.visit;
  const status = STATUS_BADGE[visit.status] ? visit.status : "scheduled";
  node.title.textContent = t("clin.sched.item_title", { role: capitalise(t(`role.${visit.role}`)), when: when(visit) });
  clear(node.badges);
  node.badges.append(setText(el("span", { className: STATUS_BADGE[status] }), `clin.sched.status.${status}`));
  if (node.fresh) node.badges.append(" ", setText(el("span", { className: "badge ok" }), "clin.sched.new_badge"));
  renderFacts(node.facts, visit);
  const open = status === "scheduled";
  const link = visit.invitation && visit.invitation.link;
  node.actions.hidden = !open;
  node.copy.hidden = !link;
  if (!open || !link) node.linkBox.hidden = true;
  renderSend(node, emailNote);
  node.download.href = `/api/v1/visits/${encodeURIComponent(visit.visit_id)}/invitation.ics`;
  node.item.classList.toggle("is-closed", !open);
}

function renderFacts(facts, visit) {
  clear(facts);
  const address = visit.email && visit.email.address;
  fact(facts, "clin.sched.email_label", address || t("clin.sched.no_email"));
  const delivery = visit.email && visit.email.delivery;
  fact(facts, "clin.sched.delivery_label", deliveryText(visit), delivery && delivery.status === "failed" && !delivery.next_attempt ? "status-bad" : undefined);
}

function renderSend(node, emailNote) {
  const delivery = node.visit.email && node.visit.email.delivery;
  const tried = Boolean(delivery && (delivery.status === "sent" || delivery.attempts > 0));
  setText(node.send, tried ? "clin.sched.send_again" : "clin.sched.send");
  node.send.disabled = emailUnavailable();
  const described = [node.title.id];
  if (emailUnavailable()) described.push(emailNote.id);
  node.send.setAttribute("aria-describedby", described.join(" "));
}

/** Say how an act on this invitation went, under it and aloud. */
export function say(node, key, vars) {
  setText(node.feedback, key, vars);
  node.feedback.hidden = false;
  announce(node.feedback.textContent);
}

export function sayProblem(node, code) {
  node.feedback.textContent = problemText(code);
  delete node.feedback.dataset.i18n;
  node.feedback.hidden = false;
  announce(node.feedback.textContent);
}

async function copyLink(node) {
  const link = node.visit.invitation && node.visit.invitation.link;
  if (!link) return;
  try {
    await navigator.clipboard.writeText(link);
    node.linkBox.hidden = true;
    say(node, "clin.sched.copied");
  } catch {
    // No clipboard here (permission, insecure page): show the link to copy by hand.
    node.linkInput.value = link;
    node.linkBox.hidden = false;
    node.feedback.hidden = true;
    node.linkInput.focus();
    announce(t("clin.sched.copy_failed"));
  }
}

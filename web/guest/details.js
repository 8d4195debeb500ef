// Step 2, the details: display name, consent, and who else is present; then join the lobby.

import { onLanguageChange, setText, t } from "/common/i18n.js";
import { byId, el, errorText } from "/common/dom.js";
import { request } from "/common/socket.js";

const PRESENT_MAX = 6;

/**
 * Wire the details form. `shared` gives the socket and takes the visit the join returns;
 * `summary()` is the device check's result; `back()` returns to the check.
 */
export function wireDetails({ shared, summary, back }) {
  byId("add-person").addEventListener("click", () => addPerson(true));
  byId("details-back").addEventListener("click", back);
  byId("details-form").addEventListener("submit", (event) => {
    event.preventDefault();
    join(shared, summary());
  });
  onLanguageChange(renumberPeople);
}

function addPerson(focus) {
  const list = byId("present-list");
  if (list.children.length >= PRESENT_MAX) return;
  const input = el("input", { attrs: { type: "text", maxlength: "64", autocomplete: "off" } });
  const label = el("label");
  const remove = el("button", { className: "quiet", attrs: { type: "button" } });
  const item = el("li", { children: [label, el("div", { className: "person-row", children: [input, remove] })] });
  remove.addEventListener("click", () => {
    item.remove();
    renumberPeople();
    byId("add-person").focus();
  });
  list.append(item);
  renumberPeople();
  if (focus) input.focus();
}

function renumberPeople() {
  const items = [...byId("present-list").children];
  items.forEach((item, index) => {
    const input = item.querySelector("input");
    const label = item.querySelector("label");
    const remove = item.querySelector("button");
    input.id = `present-${index + 1}`;
    label.htmlFor = input.id;
    setText(label, "details.person_label", { n: index + 1 });
    setText(remove, "details.remove_person");
    remove.setAttribute("aria-label", t("details.remove_person_n", { n: index + 1 }));
  });
  byId("add-person").hidden = items.length >= PRESENT_MAX;
}

function fieldError(input, errorId, invalid) {
  input.setAttribute("aria-invalid", invalid ? "true" : "false");
  byId(errorId).hidden = !invalid;
  const described = new Set((input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
  if (invalid) described.add(errorId);
  else described.delete(errorId);
  input.setAttribute("aria-describedby", [...described].join(" "));
}

async function join(shared, deviceCheck) {
  const name = byId("display-name");
  const consent = byId("consent");
  const nameMissing = !name.value.trim();
  fieldError(name, "display-name-error", nameMissing);
  fieldError(consent, "consent-error", !consent.checked);
  if (nameMissing) return name.focus();
  if (!consent.checked) return consent.focus();
  const present = [...byId("present-list").querySelectorAll("input")].map((input) => input.value.trim()).filter(Boolean);
  const button = byId("join-button");
  const problem = byId("join-error");
  button.disabled = true;
  problem.hidden = true;
  const ack = await request(shared.socket, "join", {
    display_name: name.value.trim(),
    consent: true,
    present,
    device_check: deviceCheck,
  });
  button.disabled = false;
  if (!ack.ok) {
    problem.textContent = ack.error === "invalid_payload" ? t("details.join_invalid") : errorText(ack.error);
    problem.hidden = false;
    return;
  }
  shared.visitChanged(ack.visit);
}

// Small building blocks of the clinician's page: labelled fields, buttons, fact lists, lists
// kept in step with data, and the room's status line.

import { formatDuration, locale, setText, t } from "/common/i18n.js";
import { el } from "/common/dom.js";

let idCounter = 0;

/** A fresh id for a list entry's elements: "entry-7", "participant-8" (one count for the page). */
export function nextId(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

export function field(labelKey, control, className = "field") {
  const label = el("label", { attrs: { for: control.id } });
  setText(label, labelKey);
  return el("div", { className, children: [label, control] });
}

export function button(key, className, onClick) {
  const element = el("button", { className, attrs: { type: "button" } });
  setText(element, key);
  element.addEventListener("click", onClick);
  return element;
}

/** Add a term (by key) and its value (text or a node) to a <dl>; returns the <dd>. */
export function fact(dl, termKey, value, className) {
  const dt = el("dt");
  setText(dt, termKey);
  const dd = el("dd", { className, children: value instanceof Node ? [value] : [] });
  if (!(value instanceof Node)) dd.textContent = value;
  dl.append(dt, dd);
  return dd;
}

/** Mark a field wrong (key) or right (no key), keeping its hint in aria-describedby. */
export function fieldError(errors, control, key) {
  const error = errors.get(control);
  const described = new Set((control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
  if (key) {
    setText(error, key);
    described.add(error.id);
  } else {
    described.delete(error.id);
  }
  error.hidden = !key;
  control.setAttribute("aria-invalid", key ? "true" : "false");
  if (described.size) control.setAttribute("aria-describedby", [...described].join(" "));
  else control.removeAttribute("aria-describedby");
}

/** Time waited since `since` (epoch seconds); the dashboard's ticker keeps it current. */
export function waitedSpan(since) {
  const span = el("span", { text: formatDuration(Date.now() / 1000 - since) });
  span.dataset.since = String(since);
  return span;
}

export function capitalise(text) {
  return text.charAt(0).toLocaleUpperCase(locale()) + text.slice(1);
}

/** A guest's name as they gave it (unverified), or their role. */
export function nameOf(visit) {
  return visit.display_name || t(`role.${visit.role}`);
}

/** Say how an action went in the room's status line. */
export function report(room, key, vars) {
  setText(room.status, key, vars);
}

/** Keep a list's items (keyed by visit_id) in step with `visits`, reusing nodes so focus stays. */
export function syncList(list, nodes, visits, build, update) {
  const keep = new Set(visits.map((visit) => visit.visit_id));
  for (const [id, node] of nodes) {
    if (!keep.has(id)) {
      node.item.remove();
      nodes.delete(id);
    }
  }
  visits.forEach((visit, index) => {
    let node = nodes.get(visit.visit_id);
    if (!node) {
      node = build(visit);
      nodes.set(visit.visit_id, node);
    }
    node.visit = visit;
    update(node);
    if (list.children[index] !== node.item) list.insertBefore(node.item, list.children[index] || null);
  });
}

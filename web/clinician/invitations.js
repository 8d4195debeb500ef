// A room's list of scheduled visits: read page by page from /api/v1, refreshed while open
// (often while an e-mail is on its way), and the revoke act.

import { setText } from "/common/i18n.js";
import { el } from "/common/dom.js";
import { api } from "/common/api.js";
import { buildItem, say, sayProblem, updateItem } from "/clinician/invitation-item.js";
import { openEmailDialog } from "/clinician/email-dialog.js";
import { describe, problemCode, problemText } from "/clinician/sched-text.js";

const LOOK_BACK_MS = 4 * 3600 * 1000;
const PAGE_SIZE = 100;
const REFRESH_MS = 30000;
const REFRESH_SENDING_MS = 3000;

export function buildList(area) {
  const title = setText(el("h3", { attrs: { id: `sched-${area.n}-list-title` } }), "clin.sched.list_title");
  area.zoneHint = el("p", { className: "hint" });
  area.emailNote = el("p", { className: "notice warn", attrs: { id: `sched-${area.n}-email-note` } });
  area.emailNote.hidden = true;
  area.listStatus = el("p", { attrs: { role: "status" } });
  area.retry = el("button", { attrs: { type: "button" } });
  setText(area.retry, "clin.sched.retry");
  area.retry.hidden = true;
  area.retry.addEventListener("click", () => load(area));
  area.list = el("ul", { className: "invitations", attrs: { "aria-labelledby": title.id } });
  area.empty = setText(el("p", { className: "empty" }), "clin.sched.list_empty");
  area.empty.hidden = true;
  area.more = el("button", { attrs: { type: "button" } });
  setText(area.more, "clin.sched.more");
  area.more.hidden = true;
  area.more.addEventListener("click", () => load(area, { more: true }));
  return el("div", { className: "sched-list", children: [
    title, area.zoneHint, area.emailNote, area.listStatus, area.retry, area.list, area.empty, area.more,
  ] });
}

function visitsPath(area, cursor) {
  const from = new Date(Date.now() - LOOK_BACK_MS).toISOString();
  let path = `/api/v1/rooms/${encodeURIComponent(area.roomId)}/visits?from=${encodeURIComponent(from)}&limit=${PAGE_SIZE}`;
  if (cursor) path += `&cursor=${encodeURIComponent(cursor)}`;
  return path;
}

/** Read the room's visits (the first page, or the next with `more`) and show them. */
export async function load(area, { more = false } = {}) {
  clearTimeout(area.timer);
  if (!area.details.isConnected) {
    area.dispose();
    return;
  }
  if (!area.loaded) setText(area.listStatus, "clin.sched.loading");
  const answer = await api("GET", visitsPath(area, more ? area.cursor : null));
  if (!answer.ok || !answer.data || !Array.isArray(answer.data.items)) {
    setText(area.listStatus, "clin.sched.load_failed", { error: problemText(problemCode(answer)) });
    area.retry.hidden = false;
    scheduleRefresh(area);
    return;
  }
  area.retry.hidden = true;
  area.listStatus.textContent = "";
  delete area.listStatus.dataset.i18n;
  merge(area, answer.data, more);
  area.loaded = true;
  renderList(area);
  scheduleRefresh(area);
}

function merge(area, page, more) {
  const items = page.items;
  if (more) {
    for (const visit of items) area.visits.set(visit.visit_id, visit);
    area.cursor = page.next_cursor || null;
    return;
  }
  // A refresh reads the first page again; visits shown from later pages stay.
  const last = items.length ? Date.parse(items[items.length - 1].start) : -Infinity;
  const beyond = page.next_cursor ? [...area.visits.values()].filter((visit) => Date.parse(visit.start) > last) : [];
  area.visits = new Map([...items, ...beyond].map((visit) => [visit.visit_id, visit]));
  if (!area.loaded || !beyond.length) area.cursor = page.next_cursor || null;
}

function sending(visit) {
  const delivery = visit.email && visit.email.delivery;
  return Boolean(delivery && (delivery.status === "queued" || delivery.status === "sending"));
}

/** Refresh while open: often while an e-mail is on its way, otherwise now and then. */
export function scheduleRefresh(area) {
  clearTimeout(area.timer);
  if (!area.details.open || !area.details.isConnected) return;
  const busy = [...area.visits.values()].some(sending);
  area.timer = setTimeout(() => load(area), busy ? REFRESH_SENDING_MS : REFRESH_MS);
}

function byStart(a, b) {
  return (Date.parse(a.start) - Date.parse(b.start)) || String(a.visit_id).localeCompare(String(b.visit_id));
}

/** Put a visit (new or changed) in the list; returns its item. */
export function upsert(area, visit) {
  area.visits.set(visit.visit_id, visit);
  renderList(area);
  return area.nodes.get(visit.visit_id);
}

export function renderItem(area, node) {
  updateItem(node, area.emailNote);
}

/** Keep the list's items in step with `area.visits`, reusing nodes so focus stays. */
export function renderList(area) {
  const visits = [...area.visits.values()].sort(byStart);
  for (const [id, node] of area.nodes) {
    if (!area.visits.has(id)) {
      node.item.remove();
      area.nodes.delete(id);
    }
  }
  visits.forEach((visit, index) => {
    let node = area.nodes.get(visit.visit_id);
    if (!node) {
      node = buildItem(visit, { send: (item) => sendByEmail(area, item), revoke: (item) => revoke(area, item) });
      area.nodes.set(visit.visit_id, node);
    }
    node.visit = visit;
    renderItem(area, node);
    if (area.list.children[index] !== node.item) area.list.insertBefore(node.item, area.list.children[index] || null);
  });
  area.list.hidden = visits.length === 0;
  area.empty.hidden = !area.loaded || visits.length > 0;
  area.more.hidden = !area.cursor;
}

function sendByEmail(area, node) {
  openEmailDialog(node, {
    sent: (visit) => upsert(area, visit),
    refresh: () => scheduleRefresh(area),
    reload: () => load(area),
  });
}

async function revoke(area, node) {
  const what = describe(node.visit);
  const yes = await area.confirm("clin.sched.confirm_revoke_title", { what }, "clin.sched.confirm_revoke_text", "clin.sched.revoke");
  if (!yes) return;
  const answer = await api("POST", `/api/v1/visits/${encodeURIComponent(node.visit.visit_id)}/revoke`, {});
  if (!answer.ok) {
    const code = problemCode(answer);
    sayProblem(node, code);
    if (code === "revoked" || code === "expired" || code === "not_found") load(area);
    return;
  }
  upsert(area, answer.data);
  node.title.focus();
  say(node, "clin.sched.revoked_done");
  area.changed();
}

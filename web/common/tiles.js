// Remote video tiles for a call: one <figure> per other member, kept across updates.

import { el } from "./dom.js";
import { setText, t } from "./i18n.js";

export function memberLabel(member) {
  const role = t(`role.${member.role}`);
  return t("call.member", { name: member.name || role, role });
}

/** A member's state in words, or null when they are connected and talking. */
export function memberStateKey(member, connection) {
  if (member.reconnecting) return "call.state_reconnecting";
  if (member.state === "paused") return "call.state_paused";
  if (connection !== "connected") return "call.state_connecting";
  return null;
}

/**
 * Bring `grid` in line with the call's other members. `tiles` (a Map) keeps each tile's
 * elements between calls; `onBlocked` runs when a browser refuses to play sound unasked.
 * Returns whether any peer is connected.
 */
export function renderTiles(grid, call, tiles, onBlocked) {
  const others = call.others();
  const seen = new Set();
  for (const { member, stream, state } of others) {
    seen.add(member.peer_id);
    let tile = tiles.get(member.peer_id);
    if (!tile) {
      const video = el("video", { attrs: { autoplay: true, playsinline: true } });
      const status = el("p", { className: "tile-state" });
      const caption = el("figcaption");
      tile = { figure: el("figure", { className: "tile remote-tile", children: [video, status, caption] }), video, status, caption };
      tile.figure.dataset.peer = member.peer_id;
      tiles.set(member.peer_id, tile);
      grid.append(tile.figure);
    }
    tile.caption.textContent = memberLabel(member);
    if (stream && tile.video.srcObject !== stream) {
      tile.video.srcObject = stream;
      tile.video.play().catch(() => {
        tile.video.muted = true;
        tile.video.play().catch(() => {});
        onBlocked();
      });
    }
    const key = memberStateKey(member, state);
    tile.status.hidden = !key;
    if (key) setText(tile.status, key);
  }
  for (const [id, tile] of tiles) {
    if (!seen.has(id)) {
      tile.video.srcObject = null;
      tile.figure.remove();
      tiles.delete(id);
    }
  }
  return { count: others.length, connected: others.some((other) => other.state === "connected") };
}

export function unmuteTiles(grid) {
  for (const video of grid.querySelectorAll("video")) {
    video.muted = false;
    video.play().catch(() => {});
  }
}

export function clearTiles(grid, tiles) {
  for (const tile of tiles.values()) tile.video.srcObject = null;
  tiles.clear();
  grid.replaceChildren();
}

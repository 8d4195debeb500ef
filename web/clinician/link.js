// The dashboard's one socket.io connection. It is the one piece of state every room's actions,
// notices and call genuinely share, and it lives from log-in to log-out, so it is kept here
// and modules ask for it when they act instead of holding a copy that could go stale.

import { byId } from "/common/dom.js";
import { connectWithBanner, request } from "/common/socket.js";

let socket = null;

/** Connect to /clinician; `onRefused` runs when the server refuses the session. */
export function connectLink(onRefused) {
  socket = connectWithBanner("/clinician", byId("connection-banner"), onRefused);
  return socket;
}

export function disconnectLink() {
  if (socket) socket.disconnect();
  socket = null;
}

export function linkSocket() {
  return socket;
}

/** Emit and wait for the acknowledgement (never throws), as common/socket.js `request`. */
export function send(event, payload) {
  return request(socket, event, payload);
}

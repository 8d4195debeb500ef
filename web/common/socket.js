// socket.io connection to one namespace, authenticated by the session cookie.

import { io } from "/vendor/socket.io-client/dist/socket.io.esm.min.js";

export function connect(namespace) {
  return io(namespace, {
    path: "/socket.io/",
    withCredentials: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 4000,
  });
}

/**
 * Connect and keep the page's connection banner true: shown while the link is down, hidden
 * when it is up. When the server refuses the session, `onRefused` decides what to show.
 */
export function connectWithBanner(namespace, banner, onRefused) {
  const socket = connect(namespace);
  socket.on("connect", () => {
    banner.hidden = true;
  });
  socket.on("disconnect", (reason) => {
    // The server ended the session (account disabled, password reset): ask once more,
    // so the refusal arrives as `connect_error` and the page shows why.
    if (reason === "io server disconnect") socket.connect();
    else if (reason !== "io client disconnect") banner.hidden = false;
  });
  socket.on("connect_error", (error) => {
    if (error && error.message === "unauthenticated") {
      socket.disconnect();
      banner.hidden = true;
      onRefused();
    } else {
      banner.hidden = false;
    }
  });
  return socket;
}

/** Emit an event and wait for its acknowledgement; never throws. */
export async function request(socket, event, payload, timeoutMs = 10000) {
  try {
    const args = payload === undefined ? [event] : [event, payload];
    const ack = await socket.timeout(timeoutMs).emitWithAck(...args);
    if (ack && typeof ack === "object") return ack;
    return { ok: false, error: "internal", message: "no acknowledgement" };
  } catch {
    return { ok: false, error: "timeout", message: "no answer from the server" };
  }
}

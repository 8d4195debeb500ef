// The guest's page at /join: open the invitation, test devices, join, wait, talk, leave.
// Every state the guest can be in has its own screen; the server's visit state decides which.
// This module opens the session and the socket and routes between the screens' modules.

import { initI18n } from "/common/i18n.js";
import { byId } from "/common/dom.js";
import { connectWithBanner } from "/common/socket.js";
import { go } from "/guest/screens.js";
import { openSession } from "/guest/session.js";
import { showRoom, wireContacts } from "/guest/contacts.js";
import { deviceCheckSummary, resetCheck, stopCheck, wireCheck } from "/guest/check.js";
import { wireDetails } from "/guest/details.js";
import { enterWaiting, showNotice, wireWaiting } from "/guest/waiting.js";
import { bufferSignal, enterCall, enterPaused, leaveCall, wireCall } from "/guest/consultation.js";
import { enterEnded, showLinkError, wireLinkError } from "/guest/ended.js";

let socket = null;
let visit = null;
let localStep = "check"; // before joining, the guest moves between check and details here

/**
 * What the screens genuinely share: the page's one socket and the visit as the server last
 * sent it. Only this module changes them; a screen that gets a new visit in an
 * acknowledgement hands it back through `visitChanged`, so every change is routed one way.
 */
const shared = {
  get socket() {
    return socket;
  },
  get visit() {
    return visit;
  },
  visitChanged,
};

async function boot() {
  await initI18n();
  // A second invitation link opened in this tab changes only the fragment: start over with it.
  window.addEventListener("hashchange", () => location.reload());
  wireContacts();
  wireCheck({ socket: () => socket, done: () => showStep("details") });
  wireDetails({ shared, summary: deviceCheckSummary, back: () => {
    resetCheck();
    showStep("check");
  } });
  wireWaiting(shared);
  wireCall(shared);
  wireLinkError();
  const { session, problem } = await openSession();
  if (problem) {
    showLinkError(problem);
    return;
  }
  visit = session.visit;
  showRoom(session.room);
  showNotice(session.notice);
  openSocket();
  route();
}

/** The server refuses a connection without a valid session (data or message "unauthenticated"). */
function openSocket() {
  socket = connectWithBanner("/guest", byId("connection-banner"), () => {
    if (!visit || visit.state !== "ended") showLinkError("session_ended");
  });
  socket.on("visit", visitChanged);
  socket.on("signal", bufferSignal);
  socket.on("notice", (notice) => showNotice(notice, { isNew: true }));
  // The link was opened on another device: the visit goes on there, never on both.
  socket.on("replaced", () => {
    socket.disconnect();
    leaveCall();
    stopCheck();
    showLinkError("replaced");
  });
}

function visitChanged(next) {
  visit = next;
  route();
}

function showStep(step) {
  localStep = step;
  go(step);
}

function route() {
  if (!visit) return;
  switch (visit.state) {
    case "invited":
    case "checking":
      leaveCall();
      go(localStep);
      break;
    case "waiting":
      leaveCall();
      enterWaiting();
      break;
    case "in_call":
      enterCall();
      break;
    case "paused":
      enterPaused();
      break;
    case "ended":
      leaveCall();
      enterEnded(visit, socket);
      break;
    default:
      break;
  }
}

boot().catch((error) => {
  console.error("start-up failed", error);
  showLinkError("network");
});

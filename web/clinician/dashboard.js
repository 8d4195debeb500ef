// The dashboard after log-in: the rooms, the socket that feeds their lobbies, the ticker that
// keeps times current, arrival notifications, and log-out.

import { formatDuration } from "/common/i18n.js";
import { byId, clear, showScreen } from "/common/dom.js";
import { api } from "/common/api.js";
import { connectLink, disconnectLink } from "/clinician/link.js";
import { addRoom, allRooms, clearRooms, getRoom, roomCount, tickRoom, updateLobby } from "/clinician/rooms.js";
import { stopCall } from "/clinician/consultation.js";
import { showLogin } from "/clinician/login.js";

let ticker = null;

export function wireDashboard() {
  byId("logout").addEventListener("click", logOut);
  byId("enable-notifications").addEventListener("click", async () => {
    try {
      await Notification.requestPermission();
    } finally {
      updateNotificationOffer();
    }
  });
}

export function startDashboard(me) {
  // An operations account sees figures only, on /ops; it never opens the clinician socket.
  if (me && me.account && me.account.role === "ops") {
    location.assign("/ops");
    return;
  }
  byId("clinician-name").textContent = me.clinician ? me.clinician.name : "";
  byId("logout").hidden = false;
  byId("ops-link").hidden = false;
  clear(byId("rooms"));
  clearRooms();
  for (const room of me.rooms || []) addRoom(room);
  byId("no-rooms").hidden = roomCount() > 0;
  updateNotificationOffer();
  showScreen("dashboard");
  openSocket();
  clearInterval(ticker);
  ticker = setInterval(tick, 1000);
}

async function logOut() {
  await stopCall();
  disconnectLink();
  clearInterval(ticker);
  await api("POST", "/api/logout");
  clearRooms();
  clear(byId("rooms"));
  showLogin();
}

function updateNotificationOffer() {
  byId("alerts-permission").hidden = !("Notification" in window) || Notification.permission !== "default";
}

function openSocket() {
  const socket = connectLink(() => {
    stopCall();
    showLogin();
  });
  socket.on("rooms", (rooms) => {
    for (const room of rooms || []) if (!getRoom(room.room_id)) addRoom(room);
    byId("no-rooms").hidden = roomCount() > 0;
  });
  socket.on("lobby", (lobby) => {
    const room = lobby && getRoom(lobby.room_id);
    if (room) updateLobby(room, Array.isArray(lobby.visits) ? lobby.visits : [], Array.isArray(lobby.expected) ? lobby.expected : []);
  });
}

function tick() {
  for (const span of document.querySelectorAll("[data-since]")) {
    span.textContent = formatDuration(Date.now() / 1000 - Number(span.dataset.since));
  }
  for (const room of allRooms()) tickRoom(room);
}

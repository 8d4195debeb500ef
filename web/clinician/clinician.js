// The clinician's dashboard at /clinician: log in, see each room's lobby live, admit or deny,
// send notices, and run the call (pause, resume, send back, move to phone, end).
// This module starts the page: translations, log-in or the dashboard, and page-wide wiring.

import { initI18n, onLanguageChange } from "/common/i18n.js";
import { api } from "/common/api.js";
import * as media from "/common/media.js";
import { showLogin, wireLogin } from "/clinician/login.js";
import { startDashboard, wireDashboard } from "/clinician/dashboard.js";
import { allRooms, renderRoom } from "/clinician/rooms.js";
import { wireConfirmDialog } from "/clinician/dialog.js";

async function boot() {
  await initI18n();
  onLanguageChange(() => {
    for (const room of allRooms()) renderRoom(room);
  });
  wireLogin(startDashboard);
  wireDashboard();
  // Browsers start sound only after a click or key press: the first one enables the chime.
  for (const event of ["pointerdown", "keydown"]) document.addEventListener(event, () => media.audio(), { once: true });
  wireConfirmDialog();
  const me = await api("GET", "/api/me");
  if (me.ok) startDashboard(me.data);
  else showLogin();
}

boot().catch((error) => {
  console.error("start-up failed", error);
});

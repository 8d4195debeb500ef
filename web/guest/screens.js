// The guest's screens: which one shows, the step indicator above it and the help below it.

import { byId, showScreen } from "/common/dom.js";

const STEP_OF_SCREEN = { check: "check", details: "details", waiting: "waiting", call: "call", paused: "call" };
const HELP_SCREENS = new Set(["details", "waiting", "call", "paused", "ended"]);

let current = null;
const listeners = new Set();

export function currentScreen() {
  return current;
}

/** `listener(screen)` runs on every change of screen, before the new screen shows. */
export function onScreenChange(listener) {
  listeners.add(listener);
}

/** Show `screen` (again, with `force`); returns whether it was not already showing. */
export function go(screen, force = false) {
  if (current === screen && !force) return false;
  current = screen;
  renderSteps(STEP_OF_SCREEN[screen]);
  byId("help").hidden = !HELP_SCREENS.has(screen);
  for (const listener of listeners) listener(screen);
  showScreen(screen);
  return true;
}

function renderSteps(step) {
  const steps = byId("steps");
  steps.hidden = !step;
  let reached = false;
  for (const item of steps.querySelectorAll("li")) {
    const isCurrent = item.dataset.step === step;
    if (isCurrent) item.setAttribute("aria-current", "step");
    else item.removeAttribute("aria-current");
    item.classList.toggle("done", !reached && !isCurrent);
    if (isCurrent) reached = true;
  }
}

// Small DOM helpers: build elements from text (never from markup), switch screens, announce changes.

import { hasText, t } from "./i18n.js";

/** Create an element; `text` goes in with textContent, so user text can never become markup. */
export function el(tag, { className, text, attrs, children } = {}) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined && text !== null) element.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children || []) if (child) element.append(child);
  return element;
}

export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing`);
  return element;
}

/** Show one `[data-screen]` section, hide the others, move focus to its heading and announce it. */
export function showScreen(name, { focus = true, announceTitle = true } = {}) {
  let shown = null;
  for (const section of document.querySelectorAll("section[data-screen]")) {
    const match = section.dataset.screen === name;
    section.hidden = !match;
    if (match) shown = section;
  }
  if (!shown) throw new Error(`no screen ${name}`);
  document.body.dataset.currentScreen = name;
  const heading = shown.querySelector("h1, h2");
  if (heading && focus) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
  if (heading && announceTitle) announce(heading.textContent);
  window.scrollTo(0, 0);
  return shown;
}

let announceTimer = null;

/** Say something through the page's polite live region (screen readers read it out). */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => {
    region.textContent = message;
  }, 60);
}

/** A plain error message for a failed request's code. */
export function errorText(code) {
  const key = `error.${code}`;
  return hasText(key) ? t(key) : t("error.generic");
}

export function clear(element) {
  element.replaceChildren();
}

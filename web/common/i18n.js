// Translations: Norwegian bokmål and English catalogs, a visible switch, <html lang> kept right.
//
// Elements carry the key of their text in `data-i18n` (and optional JSON `data-i18n-vars`);
// `data-i18n-label` / `data-i18n-title` translate the aria-label / title attribute. A language
// switch re-translates every such element, so pages set texts through `setText` and never
// build strings by hand.

const STORAGE_KEY = "venterom.lang";
export const LANGUAGES = ["nb", "en"];
const NORWEGIAN = new Set(["nb", "nn", "no"]);
const LOCALES = { nb: "nb-NO", en: "en-GB" };

let current = "en";
let catalog = {};
const listeners = new Set();

/** The language to start with: the saved choice, else the browser's first nb/nn/no or en. */
export function detectLanguage() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (LANGUAGES.includes(saved)) return saved;
  } catch {
    // storage may be blocked; fall through to the browser's languages
  }
  const tags = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  for (const tag of tags) {
    const primary = String(tag).toLowerCase().split("-")[0];
    if (NORWEGIAN.has(primary)) return "nb";
    if (primary === "en") return "en";
  }
  return "en";
}

export function language() {
  return current;
}

/** The BCP 47 locale used for dates and numbers in the current language. */
export function locale() {
  return LOCALES[current];
}

async function load(lang) {
  const response = await fetch(`/i18n/${lang}.json`, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`catalog ${lang}: HTTP ${response.status}`);
  return response.json();
}

export async function initI18n() {
  await setLanguage(detectLanguage(), { persist: false });
  for (const button of document.querySelectorAll("[data-lang-switch]")) {
    button.addEventListener("click", () => setLanguage(current === "nb" ? "en" : "nb"));
  }
}

export async function setLanguage(lang, { persist = true } = {}) {
  // Saved before the catalog loads: a reload right after the click keeps the choice.
  if (persist) {
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // not saved; the choice still holds for this page
    }
  }
  catalog = await load(lang);
  current = lang;
  document.documentElement.lang = lang;
  translateTree(document);
  updateSwitches();
  for (const listener of listeners) listener(lang);
}

export function onLanguageChange(listener) {
  listeners.add(listener);
}

function updateSwitches() {
  const other = current === "nb" ? "en" : "nb";
  for (const button of document.querySelectorAll("[data-lang-switch]")) {
    button.lang = other;
    button.textContent = t(`lang.switch_to_${other}`);
  }
}

export function hasText(key) {
  return typeof catalog[key] === "string";
}

/** The translated text for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  let text = catalog[key];
  if (typeof text !== "string") {
    console.warn(`missing translation: ${key}`);
    text = key;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Set an element's text by key; it follows later language switches. */
export function setText(element, key, vars) {
  element.dataset.i18n = key;
  if (vars) element.dataset.i18nVars = JSON.stringify(vars);
  else delete element.dataset.i18nVars;
  element.textContent = t(key, vars);
  return element;
}

/** Set an element's aria-label by key; it follows later language switches. */
export function setLabel(element, key, vars) {
  element.dataset.i18nLabel = key;
  if (vars) element.dataset.i18nLabelVars = JSON.stringify(vars);
  else delete element.dataset.i18nLabelVars;
  element.setAttribute("aria-label", t(key, vars));
  return element;
}

function parseVars(json) {
  if (!json) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

export function translateTree(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n, parseVars(element.dataset.i18nVars));
  }
  for (const element of root.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel, parseVars(element.dataset.i18nLabelVars)));
  }
  for (const element of root.querySelectorAll("[data-i18n-title]")) {
    element.title = t(element.dataset.i18nTitle);
  }
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = title.textContent;
}

/** A clock time ("14:30") for epoch seconds, in the current language. */
export function formatClock(epochSeconds) {
  return new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" }).format(new Date(epochSeconds * 1000));
}

/** A date and time ("tirsdag 25. november 14:30") for epoch seconds. */
export function formatDateTime(epochSeconds) {
  return new Intl.DateTimeFormat(locale(), {
    weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
  }).format(new Date(epochSeconds * 1000));
}

/** A duration in plain words: "3 min 05 s" / "1 t 02 min". */
export function formatDuration(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = String(total % 60).padStart(2, "0");
  if (hours) return t("duration.hours", { h: hours, m: String(minutes).padStart(2, "0") });
  if (minutes) return t("duration.minutes", { m: minutes, s: secs });
  return t("duration.seconds", { s: total });
}

export function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
}

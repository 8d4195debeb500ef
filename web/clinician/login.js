// Log-in: the form, its errors, and the screen shown when there is no session.

import { setText } from "/common/i18n.js";
import { byId, showScreen } from "/common/dom.js";
import { api } from "/common/api.js";
import * as media from "/common/media.js";

/** Wire the form; `onLoggedIn(me)` gets the account (as /api/me gives it) after a log-in. */
export function wireLogin(onLoggedIn) {
  byId("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const me = await logIn();
    if (me) onLoggedIn(me);
  });
}

export function showLogin() {
  byId("logout").hidden = true;
  byId("ops-link").hidden = true;
  byId("clinician-name").textContent = "";
  showScreen("login");
}

/** Resolves the account after a log-in, or null when the form said what was wrong. */
async function logIn() {
  const username = byId("username");
  const password = byId("password");
  const problem = byId("login-error");
  problem.hidden = true;
  if (!username.value.trim() || !password.value) {
    setText(problem, "clin.login_missing");
    problem.hidden = false;
    (username.value.trim() ? password : username).focus();
    return null;
  }
  media.audio(); // made on this click, so arrival chimes can play later
  const button = byId("login-button");
  button.disabled = true;
  const answer = await api("POST", "/api/login", { username: username.value.trim(), password: password.value });
  button.disabled = false;
  if (!answer.ok) {
    setText(problem, answer.status === 401 ? "clin.login_wrong" : answer.status === 429 ? "error.rate_limited" : "error.generic");
    problem.hidden = false;
    password.value = "";
    password.focus();
    return null;
  }
  password.value = "";
  // The account's role decides the page; read it from /api/me if the answer lacks it.
  const me = answer.data && answer.data.account ? answer : await api("GET", "/api/me");
  return me.ok ? me.data : answer.data;
}

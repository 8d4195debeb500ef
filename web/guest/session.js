// Opening the invitation: the token in the URL fragment is exchanged (POST) for a short-lived
// guest session; without a token (a reload) the page asks for the session it already has.

import { api } from "/common/api.js";

/** Resolves {session: {visit, room, notice}} or {problem}, a `link.<problem>` kind to show. */
export async function openSession() {
  const token = takeToken();
  const answer = token ? await api("POST", "/api/guest/session", { token }) : await api("GET", "/api/guest/session");
  if (!answer.ok) return { problem: linkProblem(answer, Boolean(token)) };
  return { session: answer.data };
}

/** The token from the fragment, which is then taken out of the address bar. */
function takeToken() {
  const token = location.hash.length > 1 ? decodeURIComponent(location.hash.slice(1)) : "";
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

function linkProblem(answer, hadToken) {
  if (answer.status === 0) return "network";
  const code = answer.data && answer.data.error;
  if (code === "token_expired") return "expired";
  if (code === "token_not_yet_valid") return "not_yet";
  if (code === "invitation_revoked") return "revoked";
  if (code === "room_closed") return "room_closed";
  if (code === "unauthenticated") return hadToken ? "invalid" : "no_link";
  if (code === "invalid_token" || code === "invalid_payload") return "invalid";
  return "network";
}

// What every room's scheduling area on the page shares, and nothing else: whether the server
// can send e-mail (learnt from its first "email_not_configured" answer, then true for all
// rooms at once), and one count for the areas' and invitations' element ids.

let unavailable = false;
let counter = 0;
const listeners = new Set();

export function emailUnavailable() {
  return unavailable;
}

/** `listener()` runs once, when e-mail turns out to be unavailable. */
export function onEmailUnavailable(listener) {
  listeners.add(listener);
}

export function markEmailUnavailable() {
  if (unavailable) return;
  unavailable = true;
  for (const listener of listeners) listener();
}

export function nextNumber() {
  counter += 1;
  return counter;
}

// The room's clinic and support phone numbers, shown wherever a guest may need them.

import { onLanguageChange, t } from "/common/i18n.js";
import { byId, clear, el } from "/common/dom.js";

let room = null;

export function wireContacts() {
  onLanguageChange(renderContacts);
}

/** The room from the guest session: the clinic's name in the top bar, its numbers below. */
export function showRoom(info) {
  room = info;
  byId("clinic-name").textContent = room && room.clinic_name ? `· ${room.clinic_name}` : "";
  renderContacts();
}

function phoneLink(number) {
  return el("a", { text: number, attrs: { href: `tel:${number.replace(/[^+\d]/g, "")}` } });
}

function renderContacts() {
  for (const box of document.querySelectorAll("[data-contacts]")) {
    clear(box);
    if (!room || (!room.clinic_phone && !room.support_phone)) {
      box.append(el("p", { text: t("contacts.see_invitation") }));
      continue;
    }
    if (room.clinic_phone) {
      box.append(el("p", { children: [
        el("span", { text: t("contacts.clinic", { clinic: room.clinic_name || t("contacts.the_clinic") }) + " " }),
        phoneLink(room.clinic_phone),
      ] }));
    }
    if (room.support_phone) {
      box.append(el("p", { children: [el("span", { text: t("contacts.support") + " " }), phoneLink(room.support_phone)] }));
    }
  }
}

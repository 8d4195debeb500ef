// Fixed technical messages in the call ("I can't hear you", …): sent as codes, shown translated,
// never stored. No free text.

import { onLanguageChange, t } from "/common/i18n.js";
import { announce, byId, clear, el, errorText } from "/common/dom.js";

const GUEST_TECH_CODES = ["cant_hear_you", "cant_see_you", "video_frozen", "audio_choppy", "one_moment", "reconnecting"];
const LOG_LINES = 5;

/** Wire the send button; `call()` is the running call or null. */
export function wireTech(call) {
  byId("send-tech").addEventListener("click", async () => {
    const current = call();
    if (!current) return;
    const code = byId("tech-code").value;
    const ack = await current.sendTech(code);
    addTechLine(ack.ok ? t("call.tech_sent", { message: t(`tech.${code}`) }) : errorText(ack.error));
  });
  renderTechOptions();
  onLanguageChange(renderTechOptions);
}

/** A message from someone in the call: logged and said aloud. */
export function techReceived({ member, code }) {
  const who = member ? member.name : t("call.someone");
  const line = t("call.tech_received", { name: who, message: t(`tech.${code}`) });
  addTechLine(line);
  announce(line);
}

export function clearTechLog() {
  clear(byId("tech-log"));
}

function renderTechOptions() {
  const select = byId("tech-code");
  const chosen = select.value;
  clear(select);
  for (const code of GUEST_TECH_CODES) select.append(el("option", { text: t(`tech.${code}`), attrs: { value: code } }));
  if (chosen) select.value = chosen;
}

function addTechLine(text) {
  const log = byId("tech-log");
  log.append(el("p", { text }));
  while (log.children.length > LOG_LINES) log.firstElementChild.remove();
}

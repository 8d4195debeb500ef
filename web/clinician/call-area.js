// A room's call area: the video grid, our own picture, the controls, the participants and the
// technical messages. Only the elements and their texts; consultation.js runs the call.

import { setText, t } from "/common/i18n.js";
import { clear, el } from "/common/dom.js";
import { unmuteTiles } from "/common/tiles.js";
import { button, field } from "/clinician/ui.js";

const TECH_CODES = ["cant_hear_you", "cant_see_you", "video_frozen", "audio_choppy", "will_call_by_phone", "one_moment", "reconnecting"];
const LOG_LINES = 6;

/**
 * Build room `n`'s call area (hidden until a call starts). `on` has the controls' actions:
 * toggleMic, toggleCamera, end, sendTech. Returns the area's parts and per-room call facts.
 */
export function buildCallArea(n, on) {
  const part = { participants: new Map(), lastDeparture: "", pendingFocus: null };
  part.title = el("h3", { attrs: { tabindex: "-1", id: `room-${n}-call` } });
  setText(part.title, "clin.call_title");
  part.status = el("p", { className: "muted", attrs: { role: "status" } });
  part.grid = el("div", { className: "video-grid" });
  part.enableSound = button("call.enable_sound", "primary", () => {
    unmuteTiles(part.grid);
    part.enableSound.hidden = true;
  });
  part.enableSound.hidden = true;
  part.selfVideo = el("video", { attrs: { autoplay: true, muted: true, playsinline: true } });
  part.selfVideo.muted = true;
  part.mic = button("call.mute", "", on.toggleMic);
  part.camera = button("call.camera_off", "", on.toggleCamera);
  part.endAll = button("clin.end", "danger", on.end);
  const participantsTitle = el("h4", { attrs: { id: `room-${n}-participants` } });
  setText(participantsTitle, "clin.participants");
  part.participantList = el("ul", { className: "participants", attrs: { "aria-labelledby": participantsTitle.id } });
  part.techCode = el("select", { attrs: { id: `tech-code-${n}` } });
  part.area = layout(part, participantsTitle, button("call.tech_send", "", on.sendTech));
  part.area.hidden = true;
  part.ended = el("p", { className: "notice", attrs: { role: "status" } });
  part.ended.hidden = true;
  return part;
}

function layout(part, participantsTitle, techSend) {
  const selfCaption = setText(el("figcaption"), "call.you");
  const techTitle = setText(el("h4"), "call.tech_title");
  part.techLog = el("div", { className: "tech-log", attrs: { role: "log", "aria-live": "polite" } });
  part.techLog.dataset.i18nLabel = "call.tech_log";
  return el("div", { className: "call-area", attrs: { "aria-labelledby": part.title.id, role: "region" }, children: [
    part.title, part.status,
    el("div", { className: "call-layout", children: [
      el("div", { children: [part.grid, part.enableSound] }),
      el("div", { children: [
        el("figure", { className: "tile self-tile", children: [part.selfVideo, selfCaption] }),
        el("div", { className: "controls", attrs: { role: "group", "aria-labelledby": part.title.id }, children: [part.mic, part.camera, part.endAll] }),
        participantsTitle, part.participantList,
        techTitle,
        el("div", { className: "tech-send", children: [field("call.tech_label", part.techCode), techSend] }),
        part.techLog,
      ] }),
    ] }),
  ] });
}

/** The texts that are built rather than keyed: the message choices and the log's name. */
export function renderCallArea(part) {
  const tech = part.techCode.value;
  clear(part.techCode);
  for (const code of TECH_CODES) part.techCode.append(el("option", { text: t(`tech.${code}`), attrs: { value: code } }));
  if (tech) part.techCode.value = tech;
  part.techLog.setAttribute("aria-label", t("call.tech_log"));
}

export function renderControls(part, { muted, cameraOff }) {
  setText(part.mic, muted ? "call.unmute" : "call.mute");
  setText(part.camera, cameraOff ? "call.camera_on" : "call.camera_off");
}

export function addTechLine(part, text) {
  part.techLog.append(el("p", { text }));
  while (part.techLog.children.length > LOG_LINES) part.techLog.firstElementChild.remove();
}
